/**
 * The charts' data: runs evaluated at different steps aligned on the union of their steps (uPlot wants one x
 * array; a run without a value at a step has null there, bridged by spanGaps), the steps-to-loss curve in
 * ascending loss, and each chart's text alternative. DOM-free.
 */
import type uPlot from 'uplot';
import type { ConvergencePoint, RunInit, StepsToLoss, Verdict } from '../../src/protocol/convergenceProtocol';
import { formatLoss, formatLr, formatStep, initName, plural } from './format';

export type LossKind = 'valLoss' | 'trainLoss';

interface CurveRun {
  init: RunInit;
  lr: number;
  points: readonly ConvergencePoint[];
}

/** [steps, run 0's losses, run 1's, …] on the sorted union of the runs' steps; non-finite losses are gaps. */
export function alignRuns(runs: readonly CurveRun[], kind: LossKind): uPlot.AlignedData {
  const steps = new Set<number>();
  for (const r of runs) for (const p of r.points) if (lossOf(p, kind) !== null) steps.add(p.step);
  const xs = [...steps].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const series = runs.map((r) => {
    const ys: (number | null)[] = new Array(xs.length).fill(null);
    for (const p of r.points) {
      const v = lossOf(p, kind);
      if (v !== null) ys[index.get(p.step)!] = v;
    }
    return ys;
  });
  return [xs, ...series] as uPlot.AlignedData;
}

function lossOf(p: ConvergencePoint, kind: LossKind): number | null {
  const v = p[kind];
  return v !== null && Number.isFinite(v) ? v : null;
}

/** The steps-to-loss rows as uPlot data: x = loss ascending (the chart reverses the axis), subclone, random. */
export function stepsToLossData(rows: readonly StepsToLoss[]): uPlot.AlignedData {
  const sorted = [...rows].sort((a, b) => a.loss - b.loss);
  return [sorted.map((r) => r.loss), sorted.map((r) => r.subclone), sorted.map((r) => r.random)];
}

/** The run of an init with the lowest latest loss of this kind, for the text alternative. */
function lowest(runs: readonly CurveRun[], init: RunInit, kind: LossKind): { lr: number; loss: number; step: number } | null {
  let best: { lr: number; loss: number; step: number } | null = null;
  for (const r of runs) {
    if (r.init !== init) continue;
    for (let i = r.points.length - 1; i >= 0; i--) {
      const v = lossOf(r.points[i], kind);
      if (v === null) continue;
      if (!best || v < best.loss) best = { lr: r.lr, loss: v, step: r.points[i].step };
      break;
    }
  }
  return best;
}

/** "Validation loss against step for 8 runs; lowest subclone run 1.989 at step 60 (lr 3e-3); …". */
export function lossChartLabel(runs: readonly CurveRun[], kind: LossKind): string {
  const what = kind === 'valLoss' ? 'Validation loss' : 'Training loss';
  const head = `${what} against step for ${plural(runs.length, 'run')}`;
  if (!runs.some((r) => r.points.some((p) => lossOf(p, kind) !== null))) return `${head}; no evaluations yet.`;
  const parts = (['subclone', 'random'] as const).flatMap((init) => {
    const b = lowest(runs, init, kind);
    return b ? [`lowest latest ${initName(init)} run ${formatLoss(b.loss)} at step ${formatStep(b.step)} (lr ${formatLr(b.lr)})`] : [];
  });
  return `${head}; ${parts.join('; ')}.`;
}

export function stepsToLossLabel(verdict: Verdict): string {
  const rows = verdict.stepsToLoss;
  if (!rows.length) return 'Steps to reach each validation loss: no losses both best runs reach.';
  const last = rows.reduce((a, b) => (b.loss < a.loss ? b : a));
  return `Steps the best runs need to reach each validation loss from ${formatLoss(Math.max(...rows.map((r) => r.loss)))} down to ${formatLoss(last.loss)}: at ${formatLoss(last.loss)}, the subclone needs ${formatStep(last.subclone)} steps and random init ${formatStep(last.random)}.`;
}

const LOG_MANTISSAS: readonly (readonly number[])[] = [
  [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9],
  [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8],
  [1, 1.5, 2, 3, 4, 5, 6, 8],
  [1, 2, 3, 5],
  [1, 2, 5],
  [1],
];

/**
 * Ticks of a log loss axis over [lo, hi]: the densest of 1-1.2-1.5-2…, 1-1.5-2-3…, 1-2-3-5, 1-2-5, 1 (× 10^k) that
 * gives at most `most` ticks. Losses usually span less than a decade, where powers of ten alone give one tick; a
 * range too narrow for two of them gets evenly spaced round values instead.
 */
export function logLossTicks(lo: number, hi: number, most = 8): number[] {
  if (!(lo > 0) || !(hi >= lo)) return [];
  let ticks: number[] = [];
  for (const mantissas of LOG_MANTISSAS) {
    ticks = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      for (const m of mantissas) {
        const v = Number((m * 10 ** e).toPrecision(6));
        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push(v);
      }
    }
    if (ticks.length <= most) break;
  }
  return ticks.length >= 2 ? ticks : evenTicks(lo, hi);
}

/** Round values 1, 2 or 5 × 10^k apart inside [lo, hi] (about four of them). */
function evenTicks(lo: number, hi: number): number[] {
  if (hi === lo) return [lo];
  const raw = (hi - lo) / 4;
  const unit = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * unit).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * unit;
  const out: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi * (1 + 1e-9); k++) out.push(Number((k * step).toPrecision(6)));
  return out;
}
