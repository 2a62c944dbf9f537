import type { AxisExpr } from '../recognize/transformerMap';

/**
 * Positions along an axis for a choice of units per group: `choose(group)` lists the parent units to keep (or a
 * permutation of all of them), in the order they should appear. Returns, for each position of the new axis, the
 * position of the old axis it takes its values from.
 */
export function axisPositions(expr: AxisExpr, choose: (group: string) => readonly number[]): number[] {
  if ('group' in expr) return [...choose(expr.group)];
  if ('fixed' in expr) return Array.from({ length: expr.fixed }, (_, i) => i);
  if ('cat' in expr) {
    const out: number[] = [];
    let offset = 0;
    for (const part of expr.cat) {
      for (const p of axisPositions(part, choose)) out.push(offset + p);
      offset += exprSize(part);
    }
    return out;
  }
  // Row-major product: the last part varies fastest.
  let out = [0];
  for (const part of expr.seq) {
    const size = exprSize(part);
    const positions = axisPositions(part, choose);
    const next: number[] = new Array(out.length * positions.length);
    let k = 0;
    for (const base of out) for (const p of positions) next[k++] = base * size + p;
    out = next;
  }
  return out;
}

/** The size of the parent axis an expression describes. */
export function exprSize(expr: AxisExpr): number {
  if ('group' in expr) return expr.size;
  if ('fixed' in expr) return expr.fixed;
  if ('cat' in expr) return expr.cat.reduce((n, p) => n + exprSize(p), 0);
  return expr.seq.reduce((n, p) => n * exprSize(p), 1);
}

/**
 * Takes `positions` along `axis` of a row-major tensor given as raw bytes (any element type): the result has
 * `positions.length` entries on that axis.
 */
export function gatherAxis(bytes: Uint8Array, dims: readonly number[], elementSize: number, axis: number, positions: readonly number[]): Uint8Array {
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1) * elementSize;
  const n = dims[axis];
  const out = new Uint8Array(outer * positions.length * inner);
  let w = 0;
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    for (const p of positions) {
      if (p < 0 || p >= n) throw new RangeError(`position ${p} outside axis ${axis} of size ${n}`);
      out.set(bytes.subarray(base + p * inner, base + (p + 1) * inner), w);
      w += inner;
    }
  }
  return out;
}
