import type { AxisExpr } from './couplingTypes';

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
  for (const p of positions) if (p < 0 || p >= n) throw new RangeError(`position ${p} outside axis ${axis} of size ${n}`);
  const out = new Uint8Array(outer * positions.length * inner);
  const pos = Int32Array.from(positions);
  // Rows of whole 32-bit words go word by word; unaligned data (common in files) goes byte by byte rather than
  // being copied whole first.
  if (inner % 4 === 0 && bytes.byteOffset % 4 === 0) {
    gatherRows(new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), new Uint32Array(out.buffer), outer, n, inner / 4, pos);
  } else {
    gatherRows(bytes, out, outer, n, inner, pos);
  }
  return out;
}

/** Copies rows of `row` units for each position, outer block by outer block (one loop for both widths). */
function gatherRows<T extends Uint8Array | Uint32Array>(src: T, dst: T, outer: number, n: number, row: number, pos: Int32Array): void {
  let w = 0;
  for (let o = 0; o < outer; o++) {
    const base = o * n * row;
    for (let j = 0; j < pos.length; j++) {
      const from = base + pos[j] * row;
      if (row > 16) {
        dst.set(src.subarray(from, from + row), w);
        w += row;
      } else for (let r = 0; r < row; r++) dst[w++] = src[from + r];
    }
  }
}
