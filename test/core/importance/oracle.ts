// numpy-equivalent reductions (float64 accumulation) of saved intermediates, and the cases the oracle runs on.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { feedsSource, type Feeds } from '../../../src/core/data/calibrationSource';
import { computeImportance } from '../../../src/core/importance/computeImportance';
import type { ImportanceReport } from '../../../src/core/importance/report';
import type { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { openCheckpoint } from '../../../src/core/checkpoint/openCheckpoint';
import { recognize } from '../../../src/core/recognize/recognize';
import type { TransformerMap } from '../../../src/core/recognize/transformerMap';
import { repoFixtures } from '../../helpers/fixtures';
import { readNpy } from '../../helpers/npy';
import { sharedFixtures } from '../../helpers/paths';

/** A [B, T, K] float tensor. */
export interface Activation {
  data: Float32Array;
  shape: number[];
}

/** One model with a fixed batch and the PyTorch intermediates of that batch. */
export interface OracleCase {
  id: string;
  modelFile: string;
  feeds: Feeds;
  /** [B, T] token weights: the attention mask (ones when the model has none). */
  mask: Float64Array;
  /** The embedding output, when saved. */
  embed?: Activation;
  blocks: Activation[];
  mlpHidden: Activation[];
  /** Max |difference| allowed against the saved intermediates. */
  tolerance: number;
}

/** Mean over counted tokens of |x| per channel: numpy's (np.abs(x) * m[..., None]).sum((0, 1)) / m.sum() in float64. */
export function maskedMeanAbs(x: Activation, mask: Float64Array): Float64Array {
  const K = x.shape[x.shape.length - 1];
  const out = new Float64Array(K);
  let count = 0;
  for (let n = 0; n < mask.length; n++) {
    if (!mask[n]) continue;
    count += mask[n];
    for (let k = 0; k < K; k++) out[k] += mask[n] * Math.abs(x.data[n * K + k]);
  }
  return out.map((v) => v / count);
}

/** Mean over counted tokens of f(token vector of a, token vector of b). */
export function maskedTokenMean(a: Activation, b: Activation, mask: Float64Array, f: (x: Float32Array, y: Float32Array) => number): number {
  const K = a.shape[a.shape.length - 1];
  let sum = 0;
  let count = 0;
  for (let n = 0; n < mask.length; n++) {
    if (!mask[n]) continue;
    sum += mask[n] * f(a.data.subarray(n * K, (n + 1) * K), b.data.subarray(n * K, (n + 1) * K));
    count += mask[n];
  }
  return sum / count;
}

export const norm = (x: ArrayLike<number>): number => Math.sqrt(Array.from(x).reduce((s, v) => s + v * v, 0));
export const relativeUpdate = (x: Float32Array, y: Float32Array): number => norm(y.map((v, i) => v - x[i])) / norm(y);
export const oneMinusCos = (x: Float32Array, y: Float32Array): number => 1 - x.reduce((s, v, i) => s + v * y[i], 0) / (norm(x) * norm(y));

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function maskOf(feeds: Feeds, B: number, T: number): Float64Array {
  const m = feeds.attention_mask;
  if (!m) return new Float64Array(B * T).fill(1);
  const data = Array.from(m.data as BigInt64Array, Number);
  const cols = m.dims[1];
  // KV-cache masks cover past + current tokens; the current ones are the last T columns.
  return Float64Array.from({ length: B * T }, (_, n) => data[Math.floor(n / T) * cols + (cols - T) + (n % T)]);
}

/** The shared exports (../shared/fixtures/exports/*.onnx with <family>.io/*.npy); empty when absent. */
export function sharedCases(): OracleCase[] {
  const root = sharedFixtures();
  if (!root) return [];
  const exports = path.join(root, 'exports');
  return fs.readdirSync(exports).filter((f) => f.endsWith('.json') && !f.endsWith('.io.json')).sort().map((f) => {
    const meta = JSON.parse(fs.readFileSync(path.join(exports, f), 'utf8')) as { onnx: string; inputs: Record<string, unknown>; verification: { npy_dir: string } };
    const io = path.join(exports, meta.verification.npy_dir);
    const npy = (name: string) => readNpy(path.join(io, `${name}.npy`));
    const feeds: Feeds = {};
    for (const name of Object.keys(meta.inputs)) {
      const a = npy(name);
      feeds[name] = new ort.Tensor(a.dtype as 'int64', a.data as BigInt64Array, a.shape);
    }
    const act = (name: string): Activation => {
      const a = npy(name);
      return { data: a.data as Float32Array, shape: a.shape };
    };
    const layers = fs.readdirSync(io).filter((n) => /^block_\d+\.npy$/.test(n)).length;
    const blocks = Array.from({ length: layers }, (_, i) => act(`block_${i}`));
    const [B, T] = blocks[0].shape;
    const mlpHidden = blocks.map((_, i) => act(`mlp_hidden_${i}`));
    return { id: `shared/${meta.onnx}`, modelFile: path.join(exports, meta.onnx), feeds, mask: maskOf(feeds, B, T), blocks, mlpHidden, tolerance: 1e-4 };
  });
}

/** The repo fixtures with saved intermediates (embed, block:i, mlp_hidden:i) that run in onnxruntime. */
export function repoCases(): OracleCase[] {
  return repoFixtures((f) => f.truth.family !== null && f.truth.runs !== false).flatMap((f) => {
    const refs = f.refs();
    const act = (key: string): Activation | undefined => {
      const t = refs.get(key);
      return t && t.dtype === 'float32' ? { data: t.data as Float32Array, shape: t.shape } : undefined;
    };
    const embed = act('embed');
    const layers = [...refs.keys()].filter((k) => /^block:\d+$/.test(k)).length;
    if (!embed || layers === 0) return [];
    const blocks = Array.from({ length: layers }, (_, i) => act(`block:${i}`)!);
    const mlpHidden = Array.from({ length: layers }, (_, i) => act(`mlp_hidden:${i}`)!);
    if (mlpHidden.some((m) => !m)) return [];
    const feeds = f.feeds();
    const [B, T] = embed.shape;
    // float16 exports compute in half precision: their own export tolerance applies.
    const tolerance = Math.max(1e-4, f.truth.tolerance ?? 0);
    return [{ id: f.id, modelFile: f.model, feeds, mask: maskOf(feeds, B, T), embed, blocks, mlpHidden, tolerance }];
  });
}

/** Loads, recognises and runs importance on the case's one batch, on the CPU. */
export async function importanceOf(c: OracleCase): Promise<{ report: ImportanceReport; map: TransformerMap; model: OnnxModel }> {
  const model = openCheckpoint(c.modelFile);
  const map = await recognize(model);
  const [B, T] = c.blocks[0].shape;
  const images = map.family === 'vit';
  const source = feedsSource([c.feeds], { source: images ? 'images' : 'text', path: null, tokenizer: null, sequenceLength: images ? null : T, samples: B, seed: 0 });
  const report = await computeImportance(model, map, { data: { kind: 'source', source }, provider: 'cpu' });
  return { report, map, model };
}
