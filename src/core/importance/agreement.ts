import { SubcloneError } from '../errors';

/** Indices sorted by score, highest first; ties keep the lower index first. */
export function rankingOf(scores: readonly number[]): number[] {
  return scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
}

/** Ranks 1..n of the scores (1 = smallest), ties sharing their average rank (as scipy.stats.rankdata). */
export function averageRanks(scores: readonly number[]): Float64Array {
  const order = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const ranks = new Float64Array(scores.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}

/** Spearman's ρ: the Pearson correlation of average ranks. 0 when either side is constant. */
export function spearman(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new SubcloneError('ShapeMismatch', `Spearman ρ of ${a.length} and ${b.length} scores`);
  const ra = averageRanks(a);
  const rb = averageRanks(b);
  const n = a.length;
  const mean = (n + 1) / 2;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = ra[i] - mean;
    const y = rb[i] - mean;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

/** |top-k(a) ∩ top-k(b)| / k. */
export function topKOverlap(a: readonly number[], b: readonly number[], k: number): number {
  const top = new Set(rankingOf(a).slice(0, k));
  let shared = 0;
  for (const i of rankingOf(b).slice(0, k)) if (top.has(i)) shared++;
  return shared / k;
}

/** A symmetric [n][n] matrix of f over every pair of rows. */
export function pairwise(rows: readonly number[][], f: (a: readonly number[], b: readonly number[]) => number): number[][] {
  const out = rows.map(() => new Array<number>(rows.length).fill(1));
  for (let i = 0; i < rows.length; i++) {
    for (let j = i + 1; j < rows.length; j++) out[i][j] = out[j][i] = f(rows[i], rows[j]);
  }
  return out;
}

/** SPEC §2.2: s[j] = Σ_l s_l[j] / Σ_j s_l[j], each layer normalised so one loud layer does not dominate. */
export function globalScores(perLayer: readonly number[][]): number[] {
  const width = perLayer[0]?.length ?? 0;
  const out = new Array<number>(width).fill(0);
  for (const layer of perLayer) {
    const total = layer.reduce((s, v) => s + v, 0);
    if (total > 0) for (let j = 0; j < width; j++) out[j] += layer[j] / total;
  }
  return out;
}
