import type * as ort from 'onnxruntime-node';
import { SubcloneError, throwIfAborted } from '../errors';
import type { Batch } from '../train/batch';
import { float16ToFloat32 } from '../onnx/float16';

/**
 * Losses computed from a session's outputs in plain JS: the calibration loss that scores candidate subclones and
 * the verification numbers. Batches come from the training data sources (weights sum to 1 over what counts).
 */

/** Mean next-token cross-entropy (nats/token) of `logits` [B, T, V] against batch targets and weights. */
export async function nextTokenLoss(session: ort.InferenceSession, logits: string, batches: readonly Batch[], signal?: AbortSignal): Promise<number> {
  let total = 0;
  let weight = 0;
  for (const batch of batches) {
    throwIfAborted(signal);
    const out = (await session.run(batch.inputs, [logits]))[logits];
    const [b, t, v] = out.dims;
    if (out.type !== 'float32' && out.type !== 'float16') throw new SubcloneError('Runtime', `logits are ${out.type}, expected float`);
    const values = toFloat32(out);
    const targets = batch.targets.data as BigInt64Array;
    const weights = batch.weights.data as Float32Array;
    for (let i = 0; i < b * t; i++) {
      const w = weights[i];
      if (!w) continue;
      total += w * crossEntropy(values, i * v, v, Number(targets[i]));
      weight += w;
    }
  }
  return total / (weight || 1);
}

/** −log softmax(row)[target] for one row of `values` starting at `offset`. */
export function crossEntropy(values: Float32Array, offset: number, n: number, target: number): number {
  let max = -Infinity;
  for (let j = 0; j < n; j++) max = Math.max(max, values[offset + j]);
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(values[offset + j] - max);
  return Math.log(sum) + max - values[offset + target];
}

/**
 * Distillation loss of a model's output against reference outputs of the same batches: mean KL(ref ‖ model) over
 * the last axis for logits ('kl'), or mean squared error over the shared columns for hidden states ('mse';
 * `columns` maps each model column to the reference column it came from).
 */
export async function distillationLoss(
  session: ort.InferenceSession,
  output: string,
  batches: readonly Batch[],
  reference: readonly Float32Array[],
  kind: 'kl' | 'mse',
  columns?: readonly number[],
  signal?: AbortSignal,
): Promise<number> {
  let total = 0;
  let count = 0;
  for (let k = 0; k < batches.length; k++) {
    throwIfAborted(signal);
    const out = (await session.run(batches[k].inputs, [output]))[output];
    const values = toFloat32(out);
    const n = out.dims[out.dims.length - 1];
    const ref = reference[k];
    const refN = columns ? ref.length / (values.length / n) : n;
    const rows = values.length / n;
    for (let r = 0; r < rows; r++) {
      if (kind === 'kl') {
        total += kl(ref, r * refN, values, r * n, n);
      } else {
        let s = 0;
        for (let j = 0; j < n; j++) {
          const d = values[r * n + j] - ref[r * refN + (columns ? columns[j] : j)];
          s += d * d;
        }
        total += s / n;
      }
      count++;
    }
  }
  return total / (count || 1);
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

/** Runs a session on batches and keeps one float output per batch (the reference for distillation). */
export async function referenceOutputs(session: ort.InferenceSession, output: string, batches: readonly Batch[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const b of batches) out.push(Float32Array.from(toFloat32((await session.run(b.inputs, [output]))[output])));
  return out;
}

function toFloat32(t: ort.Tensor): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') {
    const d = t.data as unknown;
    return d instanceof Float32Array ? d : float16ToFloat32(d as Uint16Array);
  }
  throw new SubcloneError('Runtime', `output is ${t.type}, expected float`);
}
