import type { ImportanceReport } from '../importance/report';

/** Share (0–1) of a score vector that a set of kept indices holds. */
export function shareOf(scores: readonly number[], kept: readonly number[]): number {
  const total = scores.reduce((s, v) => s + v, 0);
  if (!(total > 0)) return kept.length / Math.max(1, scores.length);
  return kept.reduce((s, i) => s + scores[i], 0) / total;
}

/** Share the top `k` scores hold (what keeping the k most important units keeps). */
export function topShare(scores: readonly number[], k: number): number {
  const sorted = [...scores].sort((a, b) => b - a);
  const total = sorted.reduce((s, v) => s + v, 0);
  if (!(total > 0)) return Math.min(1, k / Math.max(1, scores.length));
  return sorted.slice(0, k).reduce((s, v) => s + v, 0) / total;
}

/** Mean over blocks of the top-k share of each block's scores. */
export function meanTopShare(perBlock: readonly (readonly number[])[], k: number): number {
  if (!perBlock.length) return 1;
  return perBlock.reduce((s, row) => s + topShare(row, Math.min(k, row.length)), 0) / perBlock.length;
}

/** The global embedding score share of the top-d neurons. */
export function embeddingShare(report: ImportanceReport, d: number): number {
  return topShare(report.embedding.scores, d);
}
