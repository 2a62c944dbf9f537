/**
 * Presentation math the panel derives from the report: orders, bins, the cumulative share curve and the overlap of
 * each point's top-d with the kept set. DOM-free (unit-tested in Node). What a shape keeps is never computed here:
 * it comes from the engine's SelectionView.
 */

/** Indices by score, highest first; ties: lower index first (the report's ranking rule). Exact, for small inputs. */
export function rankOrder(values: ArrayLike<number>): Int32Array {
  return identity(values.length).sort((a, b) => values[b] - values[a] || a - b);
}

/** 0, 1, …, n − 1 (a loop: Int32Array.from with a callback is ~15× slower). */
function identity(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

const RADIX_BITS = 11;
const RADIX = 1 << RADIX_BITS;

/**
 * Nearly the order of rankOrder, fast enough for 32 × 14336 FFN scores on first render: a stable LSD radix sort
 * on the top 22 bits of each score's float32 (8 exponent and 14 mantissa bits, so values within 0.01% of each
 * other keep index order), which order like the values for non-negative floats. For drawing and binning only;
 * exact ranks come from rankOf. Negative or NaN values fall back to rankOrder.
 */
export function displayOrder(values: ArrayLike<number>): Int32Array {
  const n = values.length;
  const bits = new Int32Array(new Float32Array(values).buffer);
  let keys: Int32Array = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (bits[i] < 0 || bits[i] > 0x7f800000) return rankOrder(values);
    keys[i] = 0x7fffffff - bits[i];
  }
  let order: Int32Array = identity(n);
  let keysOut: Int32Array = new Int32Array(n);
  let orderOut: Int32Array = new Int32Array(n);
  const counts = new Int32Array(RADIX);
  for (let shift = 31 - 2 * RADIX_BITS; shift < 31; shift += RADIX_BITS) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(keys[i] >> shift) & (RADIX - 1)]++;
    for (let b = 0, sum = 0; b < RADIX; b++) {
      const c = counts[b];
      counts[b] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const k = keys[i];
      const dst = counts[(k >> shift) & (RADIX - 1)]++;
      keysOut[dst] = k;
      orderOut[dst] = order[i];
    }
    [keys, keysOut, order, orderOut] = [keysOut, keys, orderOut, order];
  }
  return order;
}

/** The exact rank of index j by value (0 = highest; ties: lower index first), in one pass. */
export function rankOf(values: ArrayLike<number>, j: number): number {
  const v = values[j];
  let rank = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > v || (values[i] === v && i < j)) rank++;
  return rank;
}

/** Position of every index in an order (the inverse permutation). */
export function inverseOrder(order: ArrayLike<number>): Int32Array {
  const pos = new Int32Array(order.length);
  for (let p = 0; p < order.length; p++) pos[order[p]] = p;
  return pos;
}

/**
 * Cumulative share of the total when the k highest scores are kept, for k = 0…n (curve[0] = 0, curve[n] = 1).
 * The share at the current d is curve[d].
 */
export function cumulativeShare(scores: ArrayLike<number>): Float64Array {
  const sorted = Float64Array.from(scores).sort().reverse();
  const curve = new Float64Array(sorted.length + 1);
  let total = 0;
  for (const v of sorted) total += v;
  let run = 0;
  for (let k = 0; k < sorted.length; k++) {
    run += sorted[k];
    curve[k + 1] = total > 0 ? run / total : 0;
  }
  return curve;
}

/** The share kept by the top d (d clamped to 0…n). */
export function shareAt(curve: Float64Array, d: number): number {
  return curve[Math.max(0, Math.min(curve.length - 1, Math.round(d)))];
}

/**
 * |top-d(row) ∩ kept| / d with d = |kept|: how well this point's own ranking agrees with the kept set. `order`
 * is the row's rank order when already known (rankOrder or displayOrder of the row).
 */
export function topOverlap(row: ArrayLike<number>, kept: readonly number[], order: ArrayLike<number> = rankOrder(row)): number {
  const d = kept.length;
  if (d === 0) return 0;
  const mask = maskOf(row.length, kept);
  let hits = 0;
  for (let p = 0; p < d; p++) hits += mask[order[p]];
  return hits / d;
}

/** Column bins for drawing n columns into at most maxBins pixels: bin b covers [starts[b], starts[b + 1]). */
export interface ColumnBins {
  count: number;
  starts: Int32Array;
}

export function binColumns(n: number, maxBins: number): ColumnBins {
  const count = Math.max(1, Math.min(n, Math.floor(maxBins)));
  const starts = new Int32Array(count + 1);
  for (let b = 0; b <= count; b++) starts[b] = Math.floor((b * n) / count);
  return { count, starts };
}

/** The bin that holds display column c (starts[b] ≤ c < starts[b + 1]). */
export function binOf(bins: ColumnBins, n: number, c: number): number {
  return Math.min(bins.count - 1, Math.max(0, Math.ceil(((c + 1) * bins.count) / n) - 1));
}

/**
 * Per bin, the maximum of the row's values over the bin's display columns (order maps a display column to the
 * row's index; null: the identity). Max, not mean, so a single dominant neuron stays visible at any zoom. With
 * `sorted` (order is by value, highest first) the first column of each bin is read instead of all.
 */
export function binMax(row: ArrayLike<number>, order: ArrayLike<number> | null, bins: ColumnBins, out = new Float32Array(bins.count), sorted = false): Float32Array {
  if (sorted && order) {
    // A descending order: each bin's first column is its maximum.
    for (let b = 0; b < bins.count; b++) out[b] = row[order[bins.starts[b]]];
    return out;
  }
  for (let b = 0; b < bins.count; b++) {
    let m = -Infinity;
    for (let p = bins.starts[b]; p < bins.starts[b + 1]; p++) {
      const v = row[order ? order[p] : p];
      if (v > m) m = v;
    }
    out[b] = m;
  }
  return out;
}

/** Per bin, the fraction of its display columns that are in the mask (1 = kept). */
export function binFraction(mask: Uint8Array, order: ArrayLike<number> | null, bins: ColumnBins, out = new Float32Array(bins.count)): Float32Array {
  for (let b = 0; b < bins.count; b++) {
    let k = 0;
    const s = bins.starts[b];
    const e = bins.starts[b + 1];
    for (let p = s; p < e; p++) k += mask[order ? order[p] : p];
    out[b] = e > s ? k / (e - s) : 0;
  }
  return out;
}

/** The row divided by its mean, so points whose activations differ in scale share one colour scale. */
export function relativeToMean(row: ArrayLike<number>): Float32Array {
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += row[i];
  const mean = row.length ? sum / row.length : 0;
  const out = new Float32Array(row.length);
  if (mean > 0) for (let i = 0; i < row.length; i++) out[i] = row[i] / mean;
  return out;
}

/** A 0/1 mask of length n with the listed indices set. */
export function maskOf(n: number, indices: readonly number[] | null | undefined): Uint8Array {
  const mask = new Uint8Array(n);
  if (indices) for (const i of indices) if (i >= 0 && i < n) mask[i] = 1;
  return mask;
}

/**
 * A log colour domain for positive values: [lo, hi] with hi the maximum and lo the smallest positive value, but
 * no more than `decades` below hi (a near-zero neuron would otherwise stretch the scale and flatten the rest).
 */
export function logDomain(rows: readonly ArrayLike<number>[], decades = 3): [number, number] {
  let lo = Infinity;
  let hi = 0;
  for (const row of rows) {
    const [rowLo, rowHi] = positiveRange(row);
    lo = Math.min(lo, rowLo);
    hi = Math.max(hi, rowHi);
  }
  if (!(hi > 0)) return [1, 10];
  lo = Math.max(lo, hi / 10 ** decades);
  return lo < hi ? [lo, hi] : [hi / 10, hi];
}

/** The smallest positive value and the largest value of a row (Infinity, 0 when none). */
function positiveRange(row: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = 0;
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (v > hi) hi = v;
    if (v > 0 && v < lo) lo = v;
  }
  return [lo, hi];
}

/** ρ between consecutive rows of a square matrix, for points p → p + 1. */
export function neighbourValues(matrix: readonly number[][]): number[] {
  return matrix.slice(1).map((row, i) => row[i]);
}
