import * as ort from 'onnxruntime-node';
import { transposeInto } from '../../../src/core/train/tiedCopies';
import { buildTrainingGraph } from '../../../src/core/train/trainingGraph';
import { parameterFeeds } from '../../../src/core/train/trainingGraph';
import { float16ToFloat32 } from '../../../src/core/onnx/float16';
import type { FixtureCase } from './fixtureTarget';

export interface TensorError {
  param: string;
  /** ‖g − ref‖ / ‖ref‖ (absolute when ‖ref‖ is 0). */
  relative: number;
  refNorm: number;
}

export interface GradientComparison {
  loss: number;
  refLoss: number;
  errors: TensorError[];
  unreached: string[];
  worst: TensorError;
}

function asFloat(t: ort.Tensor): Float32Array {
  if (t.type === 'float16') return float16ToFloat32(t.data as Uint16Array);
  return t.data as Float32Array;
}

/** PyTorch's gradient of a parameter in ONNX layout, with its tied copies' gradients added when they are tied in the graph. */
function referenceGradient(f: FixtureCase, name: string, dims: number[], copies: { copy: string; of: string; transposed: boolean }[]): Float32Array | undefined {
  const own = f.refs.get(`grad:${name}`);
  if (!own) return undefined;
  let ref = asFloat(own as unknown as ort.Tensor);
  for (const c of copies.filter((c) => c.of === name)) {
    const copyRef = f.refs.get(`grad:${c.copy}`);
    if (!copyRef) return undefined;
    const values = asFloat(copyRef as unknown as ort.Tensor);
    const add = c.transposed ? transposeInto(values, dims[1], dims[0], new Float32Array(values.length)) : values;
    ref = Float32Array.from(ref, (v, i) => v + add[i]);
  }
  return ref;
}

/** Where only the gradient's norm is stored (large tensors of the pretrained parent): compares norms. */
function normError(g: Float32Array, f: FixtureCase, name: string): { relative: number; refNorm: number } {
  const stored = f.refs.get(`gradNorm:${name}`);
  if (!stored) throw new Error(`${f.id}: no reference gradient for ${name}`);
  const refNorm = (stored.data as Float32Array)[0];
  let norm = 0;
  for (const v of g) norm += v * v;
  return { relative: Math.abs(Math.sqrt(norm) - refNorm) / refNorm, refNorm };
}

function relError(g: Float32Array, r: Float32Array): { relative: number; refNorm: number } {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < r.length; i++) {
    diff += (g[i] - r[i]) ** 2;
    norm += r[i] ** 2;
  }
  const refNorm = Math.sqrt(norm);
  return { relative: refNorm > 0 ? Math.sqrt(diff) / refNorm : Math.sqrt(diff), refNorm };
}

/**
 * Runs the training graph of a fixture on its reference batch and compares the loss and every parameter's
 * gradient with PyTorch's. Tied copies: with `untied`, each stored copy against its own use's gradient; otherwise
 * the trained parameter against the sum of both copies' gradients (the copy's transposed back).
 */
export async function compareGradients(f: FixtureCase, untied = false): Promise<GradientComparison> {
  const tg = await buildTrainingGraph(f.model, f.target, f.feeds, { untied });
  const session = await ort.InferenceSession.create(tg.train, { logSeverityLevel: 3 });
  try {
    const out = await session.run({ ...f.feeds, ...f.lossFeeds, ...parameterFeeds(f.model, tg.params) });
    const errors: TensorError[] = [];
    for (const p of tg.params) {
      const gradName = tg.gradOutputs.get(p.name);
      const g = gradName ? asFloat(out[gradName]) : new Float32Array(p.info.dims.reduce((a, b) => a * b, 1));
      const ref = referenceGradient(f, p.name, p.info.dims, tg.copies);
      if (ref) errors.push({ param: p.name, ...relError(g, ref) });
      else errors.push({ param: p.name, ...normError(g, f, p.name) });
    }
    // A gradient that is zero in exact arithmetic (e.g. an attention key bias: softmax ignores a per-row constant)
    // is float noise on both sides; such tensors are measured against a floor of 1e-4 of the largest norm.
    const floor = 1e-4 * Math.max(...errors.map((e) => e.refNorm));
    for (const e of errors) if (e.refNorm < floor) e.relative = (e.relative * (e.refNorm || 1)) / floor;
    const worst = errors.reduce((a, b) => (b.relative > a.relative ? b : a));
    const loss = (out[tg.lossOutput].data as Float32Array)[0];
    return { loss, refLoss: (f.refs.get('loss')!.data as Float32Array)[0], errors, unreached: tg.unreached, worst };
  } finally {
    await session.release();
  }
}
