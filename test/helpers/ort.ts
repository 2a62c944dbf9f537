import * as ort from 'onnxruntime-node';

export type Feeds = Record<string, ort.Tensor>;

/** Runs a model file or bytes on the CPU and returns every output. */
export async function runModel(model: string | Uint8Array, feeds: Feeds, outputs?: string[]): Promise<Record<string, ort.Tensor>> {
  const session =
    typeof model === 'string'
      ? await ort.InferenceSession.create(model, { logSeverityLevel: 3 })
      : await ort.InferenceSession.create(model, { logSeverityLevel: 3 });
  try {
    return outputs ? await session.run(feeds, outputs) : await session.run(feeds);
  } finally {
    await session.release();
  }
}

export function int64Tensor(values: number[] | BigInt64Array, dims: number[]): ort.Tensor {
  const data = values instanceof BigInt64Array ? values : BigInt64Array.from(values, BigInt);
  return new ort.Tensor('int64', data, dims);
}

export function floatTensor(values: Float32Array, dims: number[]): ort.Tensor {
  return new ort.Tensor('float32', values, dims);
}

/** Largest absolute difference between two float arrays of equal length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Byte-level equality of two tensors' data. */
export function bitIdentical(a: ort.Tensor, b: ort.Tensor): boolean {
  const x = a.data as ArrayBufferView;
  const y = b.data as ArrayBufferView;
  return Buffer.compare(Buffer.from(x.buffer, x.byteOffset, x.byteLength), Buffer.from(y.buffer, y.byteOffset, y.byteLength)) === 0;
}
