import * as fs from 'node:fs';
import * as path from 'node:path';
import { SubcloneError, throwIfAborted } from '../errors';
import type { CurvePoint, TrainProgress } from '../train/trainLoop';
import { childProvenance } from './childProvenance';
import { CONVERGENCE_FILE, CONVERGENCE_VERSION, runCsvName, writeConvergence, type ConvergenceFile, type ConvergenceRun } from './convergenceFile';
import type { MemberTask } from './member';
import { runPool, type MemberOutcome, type PoolHooks } from './memberPool';
import { prepareSweep, type PreparedSweep } from './prepare';
import { formatLr, startOrder, type ConvergeSettings, type RunInit, type RunKey } from './settings';
import { acquireSweepLock } from './sweepLock';
import { computeVerdict, type ConvergencePoint } from './verdict';
import { widenedRuns } from './widen';
import { checkpointFile } from '../checkpoint/openCheckpoint';

/** A convergence check, as the CLI and the worker ask for it. */
export interface ConvergeRequest {
  /** The child model (a subclone). */
  child: string;
  /** A text file (last 5% held out) or an image folder (one subfolder per class). */
  data: string;
  /** Where convergence.json and the CSVs go (default: <child folder>/convergence). */
  outDir?: string;
  /** Replace an earlier sweep's files in outDir. */
  overwrite?: boolean;
  settings?: Partial<ConvergeSettings>;
}

/** Live reports for the panel; runs are numbered by their index in `file.runs` (fixed from onPlan on). */
export interface ConvergeHooks {
  signal?: AbortSignal;
  /** Before the first run: the file with every run pending. */
  onPlan?: (file: ConvergenceFile) => void;
  onRunStart?: (runIndex: number, run: ConvergenceRun) => void;
  /** A new evaluation of a run (step 0 first). */
  onPoint?: (runIndex: number, point: ConvergencePoint) => void;
  /** Every training step of a run (for progress and throughput). */
  onStep?: (runIndex: number, p: TrainProgress) => void;
  onRunFinish?: (runIndex: number, run: ConvergenceRun) => void;
  /** A run added after the plan (the sweep widened past an edge): the next index of `file.runs`. */
  onRunAdded?: (runIndex: number, run: ConvergenceRun) => void;
  /** convergence.json was (re)written: after the plan, after each run, at the end. */
  onFile?: (file: string, content: ConvergenceFile) => void;
  onNotice?: (message: string) => void;
  /** Fraction of all planned steps done, and a line saying what runs. */
  onProgress?: (fraction: number, message: string) => void;
}

export interface ConvergeResult {
  file: string;
  content: ConvergenceFile;
  /** Cancelled: the file holds the finished runs and the verdict over them. */
  cancelled: boolean;
}

declare const __SUBCLONE_VERSION__: string | undefined;
const TOOL = `subclone ${typeof __SUBCLONE_VERSION__ === 'string' ? __SUBCLONE_VERSION__ : 'dev'}`;

/** The default output folder: `convergence/` beside the child (inside it, for a Hugging Face folder). */
export function defaultOutDir(child: string): string {
  return path.join(path.dirname(checkpointFile(child)), 'convergence');
}

/**
 * Trains the child from its own weights and from a random init at each learning rate of the two sweeps (the same
 * data order and held-out windows for all), runs side by side when settings.parallel > 1, and writes
 * `<outDir>/convergence.json` (rewritten after every run) with one CSV per run. Cancelling stops every run within
 * one step; the file then keeps the finished runs, with the verdict over them. A second sweep on the same output
 * folder while one runs is refused.
 */
export async function runConvergence(req: ConvergeRequest, hooks: ConvergeHooks = {}): Promise<ConvergeResult> {
  const outDir = path.resolve(req.outDir ?? defaultOutDir(req.child));
  const target = path.join(outDir, CONVERGENCE_FILE);
  if (!req.overwrite && fs.existsSync(target)) throw new SubcloneError('Exists', `${target} already exists; choose another output folder or allow overwriting`);
  const notices = new Set<string>();
  const notice = (m: string) => {
    if (!notices.has(m)) hooks.onNotice?.(m);
    notices.add(m);
  };
  const prep = await prepareSweep(req.child, req.data, req.settings ?? {}, { ...(hooks.signal ? { signal: hooks.signal } : {}), onNotice: notice });
  const release = acquireSweepLock(outDir);
  try {
    if (!req.overwrite && fs.existsSync(target)) throw new SubcloneError('Exists', `${target} already exists; choose another output folder or allow overwriting`);
    throwIfAborted(hooks.signal);
    removeEarlierCsvs(target);
    return await sweep(prep, outDir, hooks, notice);
  } finally {
    release();
  }
}

async function sweep(prep: PreparedSweep, outDir: string, hooks: ConvergeHooks, notice: (m: string) => void): Promise<ConvergeResult> {
  const s = prep.settings;
  const started = performance.now();
  const file: ConvergenceFile = {
    version: CONVERGENCE_VERSION,
    tool: TOOL,
    createdAt: new Date().toISOString(),
    finishedAt: null,
    status: 'running',
    ...childProvenance(prep.child, prep.map),
    data: prep.dataSummary,
    settings: s,
    provider: prep.provider,
    runs: prep.runs.map((r) => ({ ...r, status: 'pending', steps: s.steps, stepsDone: 0, points: [], csv: null, seconds: null, tokensPerS: null })),
    verdict: computeVerdict([]),
    seconds: 0,
  };
  const curves = new Map<number, CurvePoint[]>(file.runs.map((_, i) => [i, []]));
  const since = new Map<number, number[]>(); // training losses since the run's last point
  const runStarted = new Map<number, number>();
  const save = (only?: number) => {
    file.seconds = (performance.now() - started) / 1000;
    file.verdict = computeVerdict(file.runs);
    const written = writeConvergence(outDir, file, only === undefined ? curves : new Map([[only, curves.get(only)!]]));
    hooks.onFile?.(written, file);
    return written;
  };
  let done = 0;
  save();
  hooks.onPlan?.(file);
  const taskFor = (r: RunKey): MemberTask => ({ child: prep.child, target: prep.target, data: prep.data, settings: s, init: r.init, lr: r.lr, threads: s.parallel > 1 ? 1 : 0, provider: s.provider });
  const tasks: MemberTask[] = prep.runs.map(taskFor);
  const poolHooks: PoolHooks = {
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    onNotice: (_i, m) => notice(m),
    onStart: (i, initialValLoss) => {
      const run = file.runs[i];
      run.status = 'running';
      run.csv = runCsvName(run.init, run.lr);
      runStarted.set(i, performance.now());
      since.set(i, []);
      hooks.onRunStart?.(i, run);
      addPoint(i, { step: 0, trainLoss: null, valLoss: initialValLoss, seconds: 0 });
    },
    onStep: (i, p) => {
      const run = file.runs[i];
      curves.get(i)!.push({ step: p.step, lr: p.lr, trainLoss: p.trainLoss, valLoss: p.valLoss, tokensPerS: p.tokensPerS });
      run.stepsDone = p.step;
      since.get(i)!.push(p.trainLoss);
      hooks.onStep?.(i, p);
      hooks.onProgress?.(++done / (s.steps * file.runs.length), `${run.init} lr ${formatLr(run.lr)}: step ${p.step}/${p.steps}`);
      if (p.valLoss === null) return;
      const losses = since.get(i)!.splice(0);
      addPoint(i, { step: p.step, trainLoss: losses.reduce((a, b) => a + b, 0) / losses.length, valLoss: p.valLoss, seconds: (performance.now() - runStarted.get(i)!) / 1000 });
    },
    onEnd: (i, outcome) => {
      const t0 = runStarted.get(i);
      endRun(file.runs[i], outcome, curves.get(i)!, t0 === undefined ? null : (performance.now() - t0) / 1000);
      if (outcome.kind === 'done' && outcome.result.provider) file.provider = outcome.result.provider;
      save(i);
      hooks.onRunFinish?.(i, file.runs[i]);
    },
  };
  const outcomes = await runPool(tasks, startOrder(prep.runs), s.parallel, poolHooks);
  // A best lr at the edge of its sweep: one more run past it, per init, until it is inside or the budget is spent.
  const added: Record<RunInit, number> = { subclone: 0, random: 0 };
  for (;;) {
    if (hooks.signal?.aborted) break;
    const extra = widenedRuns(file.runs, computeVerdict(file.runs).edges, added, s.widen, s.parallel);
    if (!extra.length) break;
    const first = file.runs.length;
    for (const r of extra) {
      const i = file.runs.push({ ...r, status: 'pending', steps: s.steps, stepsDone: 0, points: [], csv: null, seconds: null, tokensPerS: null }) - 1;
      curves.set(i, []);
      tasks.push(taskFor(r));
      added[r.init]++;
      hooks.onRunAdded?.(i, file.runs[i]);
    }
    save();
    const more = await runPool(tasks, extra.map((_, k) => first + k), s.parallel, poolHooks);
    outcomes.push(...more.slice(first));
  }
  const failed = outcomes.filter((o): o is Extract<MemberOutcome, { kind: 'failed' }> => o.kind === 'failed');
  const cancelled = hooks.signal?.aborted === true;
  file.status = cancelled ? 'cancelled' : failed.length === outcomes.length ? 'failed' : 'finished';
  file.finishedAt = new Date().toISOString();
  const written = save();
  if (file.status === 'failed') throw failed[0].error; // the file says so too
  return { file: written, content: file, cancelled };

  function addPoint(i: number, point: ConvergencePoint) {
    file.runs[i].points.push(point);
    hooks.onPoint?.(i, point);
  }
}

function endRun(run: ConvergenceRun, outcome: MemberOutcome, curve: readonly CurvePoint[], seconds: number | null): void {
  run.seconds = seconds;
  run.tokensPerS = curve.length ? curve.length / curve.reduce((a, p) => a + 1 / p.tokensPerS, 0) : null;
  if (!curve.length) run.csv = null;
  switch (outcome.kind) {
    case 'done':
      run.seconds = outcome.result.seconds; // graph building included
      if (outcome.result.diverged) {
        run.status = 'diverged';
        run.error = `the loss became ${outcome.result.diverged.loss} at step ${outcome.result.diverged.step}`;
      } else run.status = 'finished';
      return;
    case 'cancelled':
      run.status = 'cancelled';
      return;
    case 'failed':
      run.status = 'failed';
      run.error = outcome.error.message;
      return;
    default: {
      const never: never = outcome;
      throw new Error(`unknown outcome ${JSON.stringify(never)}`);
    }
  }
}

/** With overwrite, the CSVs an earlier sweep listed go first (a new sweep may have other learning rates). */
function removeEarlierCsvs(target: string): void {
  try {
    const earlier = JSON.parse(fs.readFileSync(target, 'utf8')) as { runs?: { csv?: unknown }[] };
    for (const r of earlier.runs ?? []) {
      if (typeof r.csv === 'string' && path.basename(r.csv) === r.csv) fs.rmSync(path.join(path.dirname(target), r.csv), { force: true });
    }
  } catch {
    // no earlier file, or not one of ours: nothing to remove
  }
}
