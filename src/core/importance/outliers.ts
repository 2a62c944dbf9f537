import type { ImportanceReport } from './report';

/** A neuron far above the rest of its layer (the paper's "a few neurons dominate"). */
export interface OutlierNeuron {
  neuron: number;
  /** Global rank (0 = most important). */
  rank: number;
  /** Global score share (0–1). */
  share: number;
  /** The largest per-layer score ÷ that layer's median, over residual-stream points. */
  ratioToMedian: number;
  /** The point where that ratio is largest (0 = embedding output, b + 1 = after block b). */
  point: number;
}

/** A neuron counts as an outlier when some residual-stream point scores it at least this many times its median. */
export const OUTLIER_RATIO = 3;

/**
 * The neurons far above the rest of their layer (the paper: "a few neurons have much larger magnitude"): for
 * each neuron the largest ratio of its score to the median score of a point, over all points; those at or above
 * OUTLIER_RATIO, most extreme first, at most `max`.
 */
export function outlierNeurons(report: ImportanceReport, max = 16): OutlierNeuron[] {
  const { perLayer, ranking, scores } = report.embedding;
  const medians = perLayer.map(median);
  const total = scores.reduce((s, v) => s + v, 0) || 1;
  const rank = new Map(ranking.map((j, r) => [j, r]));
  const out: OutlierNeuron[] = [];
  for (let j = 0; j < scores.length; j++) {
    let best = 0;
    let point = 0;
    perLayer.forEach((row, p) => {
      const ratio = medians[p] > 0 ? row[j] / medians[p] : 0;
      if (ratio > best) [best, point] = [ratio, p];
    });
    if (best >= OUTLIER_RATIO) out.push({ neuron: j, rank: rank.get(j) ?? j, share: scores[j] / total, ratioToMedian: best, point });
  }
  return out.sort((a, b) => b.ratioToMedian - a.ratioToMedian || a.neuron - b.neuron).slice(0, max);
}

function median(values: readonly number[]): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
