import * as ort from 'onnxruntime-node';
import { SubcloneError } from '../errors';
import { float32ToFloat16 } from '../onnx/float16';
import type { ValueSpec } from '../onnx/valueInfo';
import { inputRoles } from './inputRoles';
import type { Feeds } from './calibrationSource';
import { quote } from '../quote';

/** Which of a model's inputs carry what, for building calibration batches. */
export interface FeedPlan {
  ids?: ValueSpec;
  mask?: ValueSpec;
  tokenTypes?: ValueSpec;
  positions?: ValueSpec;
  pixels?: ValueSpec;
  /** KV-cache inputs, fed empty (past length 0). */
  past: ValueSpec[];
}

/** Reads the model's input roles from their names and types; an input no role explains is an error. */
export function planFeeds(inputs: ValueSpec[]): FeedPlan {
  const roles = inputRoles(inputs.map((v) => ({ name: v.name, dtype: v.dtype, rank: v.shape?.length ?? 0 })));
  const byName = (name: string | undefined) => inputs.find((v) => v.name === name);
  const plan: FeedPlan = { past: [] };
  const ids = byName(roles.ids);
  const mask = byName(roles.mask);
  const tokenTypes = byName(roles.tokenTypes);
  const positions = byName(roles.positions);
  const pixels = byName(roles.pixels);
  if (ids) plan.ids = ids;
  if (mask) plan.mask = mask;
  if (tokenTypes) plan.tokenTypes = tokenTypes;
  if (positions) plan.positions = positions;
  if (pixels) plan.pixels = pixels;
  const known = new Set([roles.ids, roles.mask, roles.tokenTypes, roles.positions, roles.pixels]);
  for (const v of inputs) {
    if (known.has(v.name)) continue;
    if (v.name.toLowerCase().includes('past') && (v.dtype === 'float32' || v.dtype === 'float16')) plan.past.push(v);
    else throw new SubcloneError('Unsupported', `cannot build calibration values for the model input ${quote(v.name)} (${v.dtype})`);
  }
  return plan;
}

/** The fixed size of an input's axis, or undefined when it is symbolic. */
export function fixedDim(v: ValueSpec | undefined, axis: number): number | undefined {
  const d = v?.shape?.[axis];
  return typeof d === 'number' && d > 0 ? d : undefined;
}

/**
 * Inputs for `batch` rows of `seq` token ids (row-major in `ids`): the ids, a mask of ones, zero token types,
 * positions 0..seq-1 and empty KV caches, each in its input's integer type.
 */
export function tokenFeeds(plan: FeedPlan, ids: ArrayLike<number>, batch: number, seq: number): Feeds {
  if (!plan.ids) throw new SubcloneError('Unsupported', 'the model has no token-id input');
  if (ids.length !== batch * seq) throw new SubcloneError('ShapeMismatch', `${ids.length} token ids do not fill ${batch} × ${seq}`);
  const dims = [batch, seq];
  const n = batch * seq;
  const feeds: Feeds = { [plan.ids.name]: intTensor(plan.ids, ids, dims) };
  if (plan.mask) feeds[plan.mask.name] = intTensor(plan.mask, new Int32Array(n).fill(1), dims);
  if (plan.tokenTypes) feeds[plan.tokenTypes.name] = intTensor(plan.tokenTypes, new Int32Array(n), dims);
  if (plan.positions) feeds[plan.positions.name] = intTensor(plan.positions, Int32Array.from({ length: n }, (_, i) => i % seq), dims);
  Object.assign(feeds, pastFeeds(plan, batch));
  return feeds;
}

/** Inputs for a batch of images already laid out [batch, C, H, W] in `pixels`. */
export function pixelFeeds(plan: FeedPlan, pixels: Float32Array, dims: [number, number, number, number]): Feeds {
  if (!plan.pixels) throw new SubcloneError('Unsupported', 'the model has no image input');
  const tensor = plan.pixels.dtype === 'float16' ? new ort.Tensor('float16', float32ToFloat16(pixels), dims) : new ort.Tensor('float32', pixels, dims);
  return { [plan.pixels.name]: tensor, ...pastFeeds(plan, dims[0]) };
}

/** Empty KV caches: the batch axis sized, the past-length axis 0, fixed axes as declared. */
function pastFeeds(plan: FeedPlan, batch: number): Feeds {
  const feeds: Feeds = {};
  for (const v of plan.past) {
    const dims = (v.shape ?? []).map((d, axis) => {
      if (typeof d === 'number' && d > 0) return d;
      if (axis === 0) return batch;
      if (typeof d === 'string' && d.toLowerCase().includes('past')) return 0;
      throw new SubcloneError('Unsupported', `cannot size axis ${axis} (${String(d)}) of the KV-cache input ${quote(v.name)}`);
    });
    feeds[v.name] = v.dtype === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
  }
  return feeds;
}

function intTensor(v: ValueSpec, values: ArrayLike<number>, dims: number[]): ort.Tensor {
  switch (v.dtype) {
    case 'int64': {
      const data = new BigInt64Array(values.length);
      for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]);
      return new ort.Tensor('int64', data, dims);
    }
    case 'int32': return new ort.Tensor('int32', Int32Array.from(values), dims);
    default: throw new SubcloneError('Unsupported', `the model input ${quote(v.name)} has type ${v.dtype}; expected int64 or int32`);
  }
}
