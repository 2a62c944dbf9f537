// Shared by the train bench tasks: the parent, a batch of its text at 16 × 128, and a median timer.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';

export const BATCH = 16;
export const SEQ = 128;

/** A [BATCH, SEQ] batch of the parent's training text (token id = byte value). */
export function textIds(modelFile: string): BigInt64Array {
  const text = fs.readFileSync(path.join(path.dirname(modelFile), 'kjv.txt'));
  return BigInt64Array.from({ length: BATCH * SEQ }, (_, i) => BigInt(text[1000 + Math.floor(i / SEQ) * (SEQ + 1) + (i % SEQ)]));
}

export function idsTensor(ids: BigInt64Array): ort.Tensor {
  return new ort.Tensor('int64', ids, [BATCH, SEQ]);
}

/** Median wall time in seconds of `fn` over `runs` runs after `warmup` runs. */
export async function medianSeconds(fn: () => Promise<unknown>, runs: number, warmup = 2): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
  }
  return times.sort((a, b) => a - b)[times.length >> 1];
}
