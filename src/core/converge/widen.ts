import { sameLr, type RunInit, type RunKey } from './settings';
import type { Verdict } from './verdict';

/** How far beyond an edge a widened sweep goes when the edge's neighbour gives no ratio (a sweep of one lr). */
const DEFAULT_STEP = 2;

/**
 * The runs that widen a sweep whose best learning rate sits at its edge: for each init flagged by the verdict
 * (lowest or highest of its sweep) and still under its `budget` of added runs, runs past that edge, each as far
 * from the last as the edge is from its neighbour (×2 in the default sweeps). `slots` runs fit in one round (the
 * runs trained side by side): one flagged init gets them all (×2 and ×4 at once on two cores), two share them.
 * A run already planned at a learning rate is not added again.
 */
export function widenedRuns(runs: readonly RunKey[], edges: Verdict['edges'], added: Readonly<Record<RunInit, number>>, budget: number, slots = 1): RunKey[] {
  const out: RunKey[] = [];
  const flagged = (['subclone', 'random'] as const).filter((init) => edges[init] && added[init] < budget);
  for (const init of flagged) {
    const edge = edges[init]!;
    const share = Math.max(1, Math.floor(slots / flagged.length));
    const lrs = runs.filter((r) => r.init === init).map((r) => r.lr).sort((a, b) => a - b);
    if (lrs.length < 2) continue; // one lr: no edge to speak of (the verdict flags none either)
    const [end, next] = edge === 'highest' ? [lrs[lrs.length - 1], lrs[lrs.length - 2]] : [lrs[0], lrs[1]];
    const step = Math.max(end, next) / Math.min(end, next);
    const ratio = Number.isFinite(step) && step > 1 ? step : DEFAULT_STEP;
    for (let k = 1; k <= Math.min(share, budget - added[init]); k++) {
      const lr = Number((edge === 'highest' ? end * ratio ** k : end / ratio ** k).toPrecision(4));
      if (!runs.some((r) => r.init === init && sameLr(r.lr, lr))) out.push({ init, lr });
    }
  }
  return out;
}
