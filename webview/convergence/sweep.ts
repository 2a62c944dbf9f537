/**
 * The runs the Run cell shows: a saved or finished file's runs as they were, or a live sweep built from the
 * host's plan / runStatus / point events. DOM-free; the functions mutate the view and bump its version.
 */
import type { ConvergenceFile, ConvergencePoint, ConvergenceRun, PlannedRun, RunStatus } from '../../src/protocol/convergenceProtocol';

/** A run as the Run cell shows it: the file's run without its throughput, `error` always present. */
export type RunRow = Pick<ConvergenceRun, 'init' | 'lr' | 'status' | 'steps' | 'stepsDone' | 'points' | 'csv' | 'seconds'> & { error: string | null };

export type SweepPhase = 'running' | 'saved' | 'finished' | 'cancelled';

export interface SweepView {
  /** The request the live sweep belongs to; null for results read from disk. */
  requestId: number | null;
  phase: SweepPhase;
  runs: RunRow[];
  /** Of all the sweep's steps (the host's fraction); null when unknown. */
  fraction: number | null;
  /** convergence.json, once known. */
  file: string | null;
  /** The file as written (saved or finished): the verdict comes from it, never from the rows. */
  content: ConvergenceFile | null;
  /** Bumped by every change, so the cells repaint only what changed. */
  version: number;
}

export function sweepFromFile(file: string, content: ConvergenceFile, phase: 'saved' | 'finished' | 'cancelled', requestId: number | null = null): SweepView {
  const runs = content.runs.map((r) => ({
    init: r.init,
    lr: r.lr,
    status: r.status,
    steps: r.steps,
    stepsDone: r.stepsDone,
    points: [...r.points],
    csv: r.csv,
    seconds: r.seconds,
    error: r.error ?? null,
  }));
  return { requestId, phase, runs, fraction: phase === 'saved' ? null : 1, file, content, version: 0 };
}

export function sweepFromPlan(requestId: number, planned: readonly PlannedRun[]): SweepView {
  const runs = planned.map((r) => ({ init: r.init, lr: r.lr, status: 'pending' as RunStatus, steps: r.steps, stepsDone: 0, points: [], csv: null, seconds: null, error: null }));
  return { requestId, phase: 'running', runs, fraction: 0, file: null, content: null, version: 0 };
}

/** A run the host added after the plan (the sweep widened past an edge): appended, pending. */
export function addRun(view: SweepView, run: number, planned: PlannedRun): void {
  if (run !== view.runs.length) return; // runs are added in order; anything else is stale
  view.runs.push({ init: planned.init, lr: planned.lr, status: 'pending', steps: planned.steps, stepsDone: 0, points: [], csv: null, seconds: null, error: null });
  view.version++;
}

/** Whether an event of `requestId` for run `run` belongs to this live sweep (stale and out-of-range ones do not). */
export function acceptsEvent(view: SweepView | null, requestId: number, run: number): view is SweepView {
  return view !== null && view.phase === 'running' && view.requestId === requestId && Number.isInteger(run) && run >= 0 && run < view.runs.length;
}

export function applyStatus(view: SweepView, run: number, status: RunStatus): void {
  view.runs[run].status = status;
  view.version++;
}

/** A new evaluation: appended in step order (a repeated step replaces the earlier one); a pending run is running. */
export function applyPoint(view: SweepView, run: number, point: ConvergencePoint, fraction: number | null): void {
  const row = view.runs[run];
  const points = row.points;
  const at = points.findIndex((p) => p.step >= point.step);
  if (at < 0) points.push(point);
  else if (points[at].step === point.step) points[at] = point;
  else points.splice(at, 0, point);
  row.stepsDone = Math.max(row.stepsDone, point.step);
  row.seconds = Math.max(row.seconds ?? 0, point.seconds);
  if (row.status === 'pending') row.status = 'running';
  if (fraction !== null && Number.isFinite(fraction)) view.fraction = Math.min(1, Math.max(0, fraction));
  view.version++;
}

/** Runs that have ended, whatever their ending (finished, diverged, cancelled, failed). */
export function endedRuns(view: SweepView): number {
  return view.runs.filter((r) => r.status !== 'pending' && r.status !== 'running').length;
}

/** The last evaluation's validation loss of a run (null before any). */
export function latestValLoss(row: RunRow): number | null {
  return row.points.length ? row.points[row.points.length - 1].valLoss : null;
}

/** The final validation loss: the last evaluation of a run that finished. */
export function finalValLoss(row: RunRow): number | null {
  return row.status === 'finished' ? latestValLoss(row) : null;
}

/** Steps done as a share of the planned steps, in [0, 1]. */
export function runFraction(row: RunRow): number {
  return row.steps > 0 ? Math.min(1, Math.max(0, row.stepsDone / row.steps)) : 0;
}
