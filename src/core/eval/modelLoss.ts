import type * as ort from 'onnxruntime-node';
import { SubcloneError } from '../errors';
import { float16ToFloat32 } from '../onnx/float16';

/** Losses computed from model outputs in plain JS (candidate scoring and verification). */

/** −log softmax(row)[target] for one row of `values` starting at `offset`. */
export function crossEntropy(values: Float32Array, offset: number, n: number, target: number): number {
  let max = -Infinity;
  for (let j = 0; j < n; j++) max = Math.max(max, values[offset + j]);
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(values[offset + j] - max);
  return Math.log(sum) + max - values[offset + target];
}

/**
 * Distillation loss of one batch's output against the reference output of the same batch: mean KL(ref ‖ model) over
 * the last axis for logits ('kl'), or mean squared error for hidden states ('mse'; `columns` maps each model column
 * to the reference column it came from, when the model is narrower).
 */
export function distillationLossOf(values: Float32Array, n: number, ref: Float32Array, kind: 'kl' | 'mse', columns?: readonly number[]): number {
  const rows = values.length / n;
  const refN = ref.length / rows;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    if (kind === 'kl') total += kl(ref, r * refN, values, r * n, n);
    else {
      let s = 0;
      for (let j = 0; j < n; j++) {
        const d = values[r * n + j] - ref[r * refN + (columns ? columns[j] : j)];
        s += d * d;
      }
      total += s / n;
    }
  }
  return total / (rows || 1);
}

function kl(p: Float32Array, po: number, q: Float32Array, qo: number, n: number): number {
  const lse = (x: Float32Array, o: number) => {
    let m = -Infinity;
    for (let j = 0; j < n; j++) m = Math.max(m, x[o + j]);
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.exp(x[o + j] - m);
    return m + Math.log(s);
  };
  const lp = lse(p, po);
  const lq = lse(q, qo);
  let total = 0;
  for (let j = 0; j < n; j++) {
    const logp = p[po + j] - lp;
    total += Math.exp(logp) * (logp - (q[qo + j] - lq));
  }
  return total;
}

/** A float output as float32 values. */
export function floatOutput(t: ort.Tensor): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') {
    const d = t.data as unknown;
    return d instanceof Float32Array ? d : float16ToFloat32(d as Uint16Array);
  }
  throw new SubcloneError('Runtime', `output is ${t.type}, expected float`);
}
