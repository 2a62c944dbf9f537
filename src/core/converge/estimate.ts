import { runMember, type MemberTask } from './member';
import { prepareSweep, type PrepareOptions } from './prepare';
import { autoEvalEvery, CONVERGE_DEFAULTS, type ConvergeSettings, type ResolvedSettings } from './settings';

/** One run's measured costs, as a sweep member sees them (the same threads, batch and evaluation windows). */
export interface StepTiming {
  /** Seconds per training step (forward, backward, AdamW). */
  stepSeconds: number;
  /** Seconds per evaluation (all held-out batches). */
  evalSeconds: number;
  /** Seconds to load the model and build its training graph, before the first step. */
  prepareSeconds: number;
  /** Runs side by side (each measured alone on one core, when parallel > 1). */
  parallel: number;
  /** Tokens (text) or images per step the timing was measured with. */
  itemsPerStep: number;
  text: boolean;
}

export interface SweepEstimate extends StepTiming {
  /** The settings estimated for (parallel resolved). */
  settings: ResolvedSettings;
  runs: number;
  /** One run's wall seconds. */
  runSeconds: number;
  /** The whole sweep's wall seconds (rounds of `parallel` runs). */
  sweepSeconds: number;
}

/** Steps the timing trains (the first is not timed: onnxruntime warms up). */
const TIMED_STEPS = 6;
const TIMED_EVAL_EVERY = 3;

/**
 * Times a few training steps and evaluations of the child as a sweep member would run them (one onnxruntime
 * thread when the sweep runs side by side) and estimates the sweep's wall time for `settings`. Costs a few
 * seconds: the training graph is built once.
 */
export async function estimateConvergence(child: string, data: string, settings: Partial<ConvergeSettings> = {}, o: PrepareOptions = {}): Promise<SweepEstimate> {
  const prep = await prepareSweep(child, data, settings, o);
  const s = prep.settings;
  const task: MemberTask = {
    child: prep.child,
    target: prep.target,
    data: prep.data,
    settings: { ...s, steps: TIMED_STEPS, evalEvery: TIMED_EVAL_EVERY, warmup: 0 },
    init: 'subclone',
    lr: s.lrs[0] ?? s.randomLrs[0],
    threads: s.parallel > 1 ? 1 : 0,
    provider: s.provider,
  };
  const t0 = performance.now();
  const marks: number[] = []; // after the step-0 evaluation, then after each step (evaluations included)
  await runMember(task, {
    ...(o.signal ? { signal: o.signal } : {}),
    onStart: () => marks.push(performance.now()),
    onStep: () => marks.push(performance.now()),
  });
  const interval = (k: number) => (marks[k] - marks[k - 1]) / 1000; // step k (1-based)
  const plain = [2, 4, 5].map(interval); // steps without an evaluation after them (step 1 warms up)
  const stepSeconds = median(plain);
  const evalSeconds = Math.max(0, (interval(3) + interval(6)) / 2 - stepSeconds);
  const timing: StepTiming = {
    stepSeconds,
    evalSeconds,
    prepareSeconds: Math.max(0, (marks[0] - t0) / 1000 - evalSeconds),
    parallel: s.parallel,
    itemsPerStep: s.batch * (prep.data.kind === 'text' ? s.seq : 1),
    text: prep.data.kind === 'text',
  };
  return { ...timing, ...sweepTime(timing, s, prep.runs.length), settings: s, runs: prep.runs.length };
}

/**
 * The wall time of a sweep from a timing, for other settings (steps, evaluation interval, runs, batch × seq —
 * step and evaluation times scale with the items per step), without measuring again.
 */
export function sweepTime(t: StepTiming, s: Pick<ResolvedSettings, 'steps' | 'evalEvery' | 'batch' | 'seq'>, runs: number): { runSeconds: number; sweepSeconds: number } {
  const scale = (s.batch * (t.text ? s.seq : 1)) / t.itemsPerStep;
  const evaluations = 1 + Math.floor(s.steps / s.evalEvery) + (s.steps % s.evalEvery ? 1 : 0);
  const runSeconds = t.prepareSeconds + scale * (s.steps * t.stepSeconds + evaluations * t.evalSeconds);
  return { runSeconds, sweepSeconds: Math.ceil(runs / Math.max(1, t.parallel)) * runSeconds };
}

/** The default of `subclone.convergence.steps`: a sweep that runs in about two minutes. */
export const DEFAULT_BUDGET_SECONDS = 120;

/**
 * The most steps (rounded down to a multiple of 10, at least 20) whose sweep fits `budgetSeconds`, with the
 * evaluation interval 'auto' (about 25 evaluations per run).
 */
export function defaultSteps(
  t: StepTiming,
  s: Pick<ResolvedSettings, 'batch' | 'seq'> = CONVERGE_DEFAULTS,
  runs = CONVERGE_DEFAULTS.lrs.length + CONVERGE_DEFAULTS.randomLrs.length,
  budgetSeconds = DEFAULT_BUDGET_SECONDS,
): number {
  const fits = (steps: number) => sweepTime(t, { ...s, steps, evalEvery: autoEvalEvery(steps) }, runs).sweepSeconds <= budgetSeconds;
  if (!fits(MIN_STEPS)) return MIN_STEPS;
  let lo = MIN_STEPS;
  let hi = 2 * MIN_STEPS;
  for (; fits(hi) && hi < 1e7; hi *= 2) lo = hi;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return Math.max(MIN_STEPS, Math.floor(lo / 10) * 10);
}

/** Fewer steps than this make no curve worth a verdict. */
const MIN_STEPS = 20;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
