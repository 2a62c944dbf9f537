import { formatLr, sameLr, type RunInit } from './settings';

/** One evaluation of a run: step 0 is before the first update. */
export interface ConvergencePoint {
  step: number;
  /** Mean training loss over the steps since the previous point (null at step 0). */
  trainLoss: number | null;
  /** Held-out loss on the fixed validation windows. */
  valLoss: number;
  /** Wall seconds since the run started training (after its graph was built). */
  seconds: number;
}

/** What the verdict reads of a run. */
export interface VerdictRun {
  init: RunInit;
  lr: number;
  /** Only 'finished' runs count. */
  status: string;
  /** Steps the run was planned for (= trained, when finished). */
  steps: number;
  points: readonly ConvergencePoint[];
}

export interface EqualLrSpeedup {
  lr: number;
  /** random@lr's final validation loss. */
  target: number;
  /** First step at which subclone@lr reaches it (interpolated), or null when it does not. */
  stepsToTarget: number | null;
  /** random@lr's steps ÷ stepsToTarget (null: not reached, or reached at step 0). */
  speedup: number | null;
  reached: boolean;
}

/** One row of the steps-to-loss curve: how many steps each best run needs to reach a loss. */
export interface StepsToLoss {
  loss: number;
  subclone: number;
  random: number;
  /** random ÷ subclone (null when the subclone is there at step 0). */
  ratio: number | null;
}

export interface Verdict {
  /** The best random-init run's final validation loss (null: no finished random run). */
  target: number | null;
  /** Best run per init: the lowest final validation loss (ties: the lower lr). */
  bestLr: { subclone: number | null; random: number | null };
  finalValLoss: { subclone: number | null; random: number | null };
  /** Whether the best subclone run reaches the target within its steps. */
  reached: boolean;
  /** The first step (interpolated between evaluations) at which the best subclone run reaches the target. */
  stepsToTarget: number | null;
  /** The best random run's steps ÷ stepsToTarget; null when not reached (never extrapolated) or reached at step 0. */
  speedupVsBestRandom: number | null;
  /** The same, per learning rate that both inits ran to the end. */
  speedupAtEqualLr: EqualLrSpeedup[];
  /**
   * The finished subclone run that reaches the target first, whatever its final loss (often a lower lr than the
   * best one): the speed-up with the subclone's lr tuned for reaching the target rather than for the final loss.
   */
  fastest: { lr: number; stepsToTarget: number; speedup: number | null } | null;
  /** Steps each best run needs for each loss in the range both reach (from the higher start down to the higher minimum). */
  stepsToLoss: StepsToLoss[];
  /** A best lr at the edge of its sweep (the optimum may lie outside it). */
  edges: { subclone: 'lowest' | 'highest' | null; random: 'lowest' | 'highest' | null };
  /** Finished runs the verdict is over, of the planned runs. */
  over: { finished: number; planned: number };
  /** The verdict in plain words. */
  sentence: string;
}

/** Rows of the steps-to-loss curve. */
export const STEPS_TO_LOSS_LEVELS = 12;

/**
 * The first step at which a run's validation loss is at or below `loss`: the first evaluation that is, linearly
 * interpolated from the evaluation before it; null when no evaluation reaches it (never extrapolated). A run
 * already there at its first point reaches it at that point's step.
 */
export function stepsToReach(points: readonly ConvergencePoint[], loss: number): number | null {
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    if (!(p.valLoss <= loss)) continue;
    if (i === 0) return p.step;
    const q = points[i - 1]; // q.valLoss > loss ≥ p.valLoss
    return q.step + ((q.valLoss - loss) / (q.valLoss - p.valLoss)) * (p.step - q.step);
  }
  return null;
}

/** The final validation loss of a finished run (its last point). */
function finalLoss(run: VerdictRun): number {
  return run.points[run.points.length - 1].valLoss;
}

function counts(run: VerdictRun): boolean {
  return run.status === 'finished' && run.points.length > 0 && Number.isFinite(finalLoss(run));
}

/** The best finished run of an init: the lowest final validation loss, ties to the lower learning rate. */
export function bestRun<R extends VerdictRun>(runs: readonly R[], init: RunInit): R | null {
  let best: R | null = null;
  for (const r of runs) {
    if (r.init !== init || !counts(r)) continue;
    if (!best || finalLoss(r) < finalLoss(best) || (finalLoss(r) === finalLoss(best) && r.lr < best.lr)) best = r;
  }
  return best;
}

/**
 * The verdict over the finished runs (SPEC §4; docs/convergence.md): target = the best random run's final
 * validation loss; speed-up = that run's steps ÷ the first step at which the best subclone run reaches it; the same
 * per learning rate both inits ran; the steps-to-loss curve of the two best runs. Pure.
 */
export function computeVerdict(runs: readonly VerdictRun[]): Verdict {
  const sub = bestRun(runs, 'subclone');
  const rnd = bestRun(runs, 'random');
  const target = rnd ? finalLoss(rnd) : null;
  const stepsToTarget = sub && target !== null ? stepsToReach(sub.points, target) : null;
  const reached = stepsToTarget !== null;
  const speedup = (steps: number, at: number | null) => (at !== null && at > 0 ? steps / at : null);
  const verdict: Omit<Verdict, 'sentence'> = {
    target,
    bestLr: { subclone: sub?.lr ?? null, random: rnd?.lr ?? null },
    finalValLoss: { subclone: sub ? finalLoss(sub) : null, random: target },
    reached,
    stepsToTarget,
    speedupVsBestRandom: rnd ? speedup(rnd.steps, stepsToTarget) : null,
    speedupAtEqualLr: equalLr(runs, speedup),
    fastest: rnd && target !== null ? fastest(runs, target, (at) => speedup(rnd.steps, at)) : null,
    stepsToLoss: sub && rnd ? stepsToLossCurve(sub.points, rnd.points) : [],
    edges: { subclone: edge(runs, sub), random: edge(runs, rnd) },
    over: { finished: runs.filter(counts).length, planned: runs.length },
  };
  return { ...verdict, sentence: verdictSentence(verdict, sub, rnd) };
}

function fastest(runs: readonly VerdictRun[], target: number, speedup: (at: number) => number | null): Verdict['fastest'] {
  let best: Verdict['fastest'] = null;
  for (const r of runs) {
    if (r.init !== 'subclone' || !counts(r)) continue;
    const at = stepsToReach(r.points, target);
    if (at !== null && (!best || at < best.stepsToTarget)) best = { lr: r.lr, stepsToTarget: at, speedup: speedup(at) };
  }
  return best;
}

function equalLr(runs: readonly VerdictRun[], speedup: (steps: number, at: number | null) => number | null): EqualLrSpeedup[] {
  const out: EqualLrSpeedup[] = [];
  for (const r of runs) {
    if (r.init !== 'random' || !counts(r)) continue;
    const s = runs.find((x) => x.init === 'subclone' && counts(x) && sameLr(x.lr, r.lr));
    if (!s) continue;
    const at = stepsToReach(s.points, finalLoss(r));
    out.push({ lr: r.lr, target: finalLoss(r), stepsToTarget: at, speedup: speedup(r.steps, at), reached: at !== null });
  }
  return out.sort((a, b) => a.lr - b.lr);
}

/**
 * For evenly spaced losses from the lower of the two starting losses down to the higher of the two minima (the
 * range both runs reach), the steps each needs. Empty when the ranges do not overlap.
 */
export function stepsToLossCurve(sub: readonly ConvergencePoint[], rnd: readonly ConvergencePoint[], levels = STEPS_TO_LOSS_LEVELS): StepsToLoss[] {
  if (!sub.length || !rnd.length) return [];
  const min = (ps: readonly ConvergencePoint[]) => Math.min(...ps.map((p) => p.valLoss));
  const hi = Math.min(sub[0].valLoss, rnd[0].valLoss);
  const lo = Math.max(min(sub), min(rnd));
  if (!(hi >= lo)) return [];
  const out: StepsToLoss[] = [];
  for (let k = 0; k < levels; k++) {
    const loss = levels === 1 ? lo : hi - ((hi - lo) * k) / (levels - 1);
    const s = stepsToReach(sub, loss);
    const r = stepsToReach(rnd, loss);
    if (s === null || r === null) continue; // rounding at the ends
    out.push({ loss, subclone: s, random: r, ratio: s > 0 ? r / s : null });
    if (hi === lo) break;
  }
  return out;
}

function edge(runs: readonly VerdictRun[], best: VerdictRun | null): 'lowest' | 'highest' | null {
  if (!best) return null;
  const lrs = runs.filter((r) => r.init === best.init).map((r) => r.lr);
  if (lrs.length < 2) return null;
  if (sameLr(best.lr, Math.min(...lrs))) return 'lowest';
  if (sameLr(best.lr, Math.max(...lrs))) return 'highest';
  return null;
}

function verdictSentence(v: Omit<Verdict, 'sentence'>, sub: VerdictRun | null, rnd: VerdictRun | null): string {
  const partial = v.over.finished < v.over.planned ? ` (over ${v.over.finished} of ${v.over.planned} runs)` : '';
  if (!rnd || v.target === null) return `No random-init run finished, so there is no target to compare against${partial}.`;
  const targetText = `the best random init's final validation loss (${v.target.toFixed(3)} at lr ${formatLr(rnd.lr)} after ${rnd.steps} steps)`;
  if (!sub) return `No subclone run finished; ${targetText} is the target${partial}.`;
  const subText = `The subclone (best lr ${formatLr(sub.lr)})`;
  const edges = edgeNotes(v);
  if (v.stepsToTarget === null) {
    return `${subText} does not reach ${targetText}: not reached in ${sub.steps} steps (its final loss ${finalLoss(sub).toFixed(3)})${partial}.${edges}`;
  }
  if (v.speedupVsBestRandom === null) return `${subText} starts below ${targetText}${partial}.${edges}`;
  return `${subText} reaches ${targetText} at step ${Math.round(v.stepsToTarget)}: ${v.speedupVsBestRandom.toFixed(2)}× fewer steps${partial}.${edges}`;
}

function edgeNotes(v: Omit<Verdict, 'sentence'>): string {
  const notes: string[] = [];
  for (const init of ['subclone', 'random'] as const) {
    const e = v.edges[init];
    const lr = v.bestLr[init];
    if (e && lr !== null) notes.push(` The best ${init === 'random' ? 'random-init' : 'subclone'} lr ${formatLr(lr)} is the ${e} of its sweep: widen the sweep${init === 'random' ? ' (--random-lrs)' : ' (--lrs)'} to be sure.`);
  }
  return notes.join('');
}
