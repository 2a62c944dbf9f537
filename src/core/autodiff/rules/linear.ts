import { attrFloat, attrInt } from '../../graph/attributes';
import { reduceTo } from '../broadcast';
import { attr, type Emitter } from '../emitter';
import { sameDims } from '../tensorInfo';
import { dy0 } from './elementwise';
import type { RuleTable, VjpContext, VjpRule } from './rule';

function gemm(e: Emitter, a: string, b: string, transA: boolean, transB: boolean, alpha = 1): string {
  const attrs = [attr.int('transA', transA ? 1 : 0), attr.int('transB', transB ? 1 : 0)];
  if (alpha !== 1) attrs.push(attr.float('alpha', alpha));
  return e.op('Gemm', [a, b], attrs);
}

/** Swaps the last two axes. */
function swapLast(e: Emitter, x: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return e.transpose(x, perm);
}

function reshapeIf(e: Emitter, x: string, from: readonly number[], to: readonly number[]): string {
  return sameDims(from, to) ? x : e.reshape(x, to);
}

/**
 * y = a @ b with numpy semantics. Rank-1 operands are promoted to matrices first. A 2-D weight multiplied by a
 * batch of activations gets its gradient from one Gemm over the flattened batch (no broadcast-then-reduce).
 */
const matMul: VjpRule = (c: VjpContext) => {
  const e = c.e;
  const [a, b] = c.node.input;
  const aDims = c.info(a).dims;
  const bDims = c.info(b).dims;
  const yDims = c.info(c.node.output[0]).dims;
  const a2 = aDims.length === 1 ? [1, aDims[0]] : aDims;
  const b2 = bDims.length === 1 ? [bDims[0], 1] : bDims;
  const M = a2[a2.length - 2];
  const K = a2[a2.length - 1];
  const N = b2[b2.length - 1];
  const batch = yDims.slice(0, yDims.length - (aDims.length === 1 ? 0 : 1) - (bDims.length === 1 ? 0 : 1));
  const y2 = [...batch, M, N];
  const dy = reshapeIf(e, dy0(c), yDims, y2);
  const aIn = reshapeIf(e, a, aDims, a2);
  const bIn = reshapeIf(e, b, bDims, b2);
  const rows = batch.reduce((n, d) => n * d, 1) * M;
  let da: string | undefined;
  let db: string | undefined;
  if (c.needs(0)) {
    if (b2.length === 2) {
      da = e.reshape(gemm(e, e.reshape(dy, [rows, N]), bIn, false, true), [...batch, M, K]);
    } else {
      da = e.op('MatMul', [dy, swapLast(e, bIn, b2.length)]);
    }
    da = reshapeIf(e, reduceTo(e, da, [...batch, M, K], a2), a2, aDims);
  }
  if (c.needs(1)) {
    if (b2.length === 2) {
      db = gemm(e, e.reshape(aIn, [rows, K]), e.reshape(dy, [rows, N]), true, false);
      db = reshapeIf(e, db, [K, N], bDims);
    } else {
      const full = e.op('MatMul', [swapLast(e, aIn, a2.length), dy]);
      db = reshapeIf(e, reduceTo(e, full, [...batch, K, N], b2), b2, bDims);
    }
  }
  return [da, db];
};

/** y = alpha * A' @ B' + beta * C, A' = transA ? Aᵀ : A, B' = transB ? Bᵀ : B. */
const gemmRule: VjpRule = (c: VjpContext) => {
  const e = c.e;
  const n = c.node;
  const [a, b, cIn] = n.input;
  const transA = attrInt(n, 'transA', 0) === 1;
  const transB = attrInt(n, 'transB', 0) === 1;
  const alpha = attrFloat(n, 'alpha', 1);
  const beta = attrFloat(n, 'beta', 1);
  const dy = dy0(c);
  const da = !c.needs(0) ? undefined : transA ? gemm(e, b, dy, transB, true, alpha) : gemm(e, dy, b, false, !transB, alpha);
  const db = !c.needs(1) ? undefined : transB ? gemm(e, dy, a, true, transA, alpha) : gemm(e, a, dy, !transA, false, alpha);
  let dc: string | undefined;
  if (cIn && c.needs(2)) {
    const scaled = beta === 1 ? dy : e.op('Mul', [dy, e.scalar(beta, c.info(cIn).elem)]);
    dc = reduceTo(e, scaled, c.info(n.output[0]).dims, c.info(cIn).dims);
  }
  return [da, db, dc];
};

export const linearRules: RuleTable = { MatMul: matMul, Gemm: gemmRule };
