import { sameLr, type RunInit, type RunKey } from './settings';
import type { Verdict } from './verdict';

/** How far beyond an edge a widened sweep goes when the edge's neighbour gives no ratio (a sweep of one lr). */
const DEFAULT_STEP = 2;

/**
 * The runs that widen a sweep whose best learning rate sits at its edge: for each init flagged by the verdict
 * (lowest or highest of its sweep) and still under its `budget` of added runs, one more run past that edge, as far
 * from it as its neighbour is (×2 in the default sweeps). A run already planned at that lr is not added again.
 */
export function widenedRuns(runs: readonly RunKey[], edges: Verdict['edges'], added: Readonly<Record<RunInit, number>>, budget: number): RunKey[] {
  const out: RunKey[] = [];
  for (const init of ['subclone', 'random'] as const) {
    const edge = edges[init];
    if (!edge || added[init] >= budget) continue;
    const lrs = runs.filter((r) => r.init === init).map((r) => r.lr).sort((a, b) => a - b);
    if (lrs.length < 2) continue; // one lr: no edge to speak of (the verdict flags none either)
    const [end, next] = edge === 'highest' ? [lrs[lrs.length - 1], lrs[lrs.length - 2]] : [lrs[0], lrs[1]];
    const step = Math.max(end, next) / Math.min(end, next);
    const ratio = Number.isFinite(step) && step > 1 ? step : DEFAULT_STEP;
    const lr = Number((edge === 'highest' ? end * ratio : end / ratio).toPrecision(4));
    if (!runs.some((r) => r.init === init && sameLr(r.lr, lr))) out.push({ init, lr });
  }
  return out;
}
