import * as fs from 'node:fs';
import * as path from 'node:path';

export interface RefTensor {
  dtype: 'float32' | 'int64' | 'float16' | string;
  shape: number[];
  data: Float32Array | BigInt64Array | Uint16Array;
}

/**
 * Reads a reference bundle written by scripts/fixtures (refs.json + refs.bin): tensors by key, e.g.
 * `input:input_ids`, `output:logits`, `block:0`, `mlp_hidden:0`, `loss`, `grad:<initializer>`.
 */
export function readRefs(dir: string): Map<string, RefTensor> {
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'refs.json'), 'utf8')) as {
    tensors: Record<string, { dtype: string; shape: number[]; offset: number; length: number }>;
  };
  const bin = fs.readFileSync(path.join(dir, 'refs.bin'));
  const out = new Map<string, RefTensor>();
  for (const [key, t] of Object.entries(index.tensors)) {
    const bytes = new Uint8Array(t.length);
    bytes.set(bin.subarray(t.offset, t.offset + t.length));
    const data =
      t.dtype === 'int64' ? new BigInt64Array(bytes.buffer) : t.dtype === 'float16' ? new Uint16Array(bytes.buffer) : new Float32Array(bytes.buffer);
    out.set(key, { dtype: t.dtype, shape: t.shape, data });
  }
  return out;
}
