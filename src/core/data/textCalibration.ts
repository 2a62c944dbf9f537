import * as path from 'node:path';
import { SubcloneError } from '../errors';
import type { ValueSpec } from '../onnx/valueInfo';
import { batchRanges, type CalibrationSource } from './calibrationSource';
import { fixedDim, planFeeds, tokenFeeds } from './modelFeeds';
import { findTokenizer, loadTextTokens } from './textData';
import { evenWindows } from './tokenWindows';

export interface TextCalibrationOptions {
  /** The model file: its folder's tokenizer.json is used when there is one (token id = byte value otherwise). */
  modelFile: string;
  inputs: ValueSpec[];
  /** The model's vocabulary size: token ids at or above it are an error (bytes for a model with its own tokenizer). */
  vocab: number | null;
  /** Sequences wanted; fewer when the text is too short for that many non-overlapping windows. */
  samples: number;
  /** Tokens per sequence (a fixed sequence axis of the model wins; a text shorter than this gives one shorter window). */
  sequenceLength: number;
  /** Sequences per batch (a fixed batch axis of the model wins). */
  batchSize: number;
  seed: number;
  /** 'train' (default): the first 95% of the text; 'validation': the held-out last 5% (for verification). */
  split?: 'train' | 'validation';
  signal?: AbortSignal;
  /** Tokenizing progress: (bytes done, bytes total). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Calibration sequences from a text file: tokenized with the model's tokenizer.json (or as bytes), the training
 * part only (the file's last 5% is the held-out split training and verification evaluate on), cut into windows
 * spread evenly over it, non-overlapping when there is room.
 */
export function textCalibration(file: string, o: TextCalibrationOptions): CalibrationSource {
  const plan = planFeeds(o.inputs);
  if (!plan.ids) throw new SubcloneError('BadArgument', `${file} is text, but this model reads images: pass a folder of PNG/JPEG images`);
  const tokenizer = findTokenizer(o.modelFile);
  const tokens = loadTextTokens(file, { ...(tokenizer ? { tokenizer } : {}), ...(o.signal ? { signal: o.signal } : {}), ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
  const stream = o.split === 'validation' ? tokens.validation : tokens.train;
  checkVocabulary(stream, o.vocab, file, tokens.tokenizer);
  const fixedSeq = fixedDim(plan.ids, 1);
  if (o.split !== 'validation' && !fixedSeq && stream.length < o.sequenceLength) {
    // Shorter windows would calibrate on positions the model is never used at; say so instead.
    throw new SubcloneError('MissingData', `${file} has ${stream.length} tokens to calibrate on (its first 95%), fewer than one window of ${o.sequenceLength} tokens (the model's context): give a longer text`);
  }
  // The held-out split (the last 5%) may be shorter than a window: its windows shrink to fit.
  const seq = fixedSeq ?? Math.min(o.sequenceLength, stream.length);
  if (stream.length < seq || seq < 1) {
    throw new SubcloneError('MissingData', `${file} has ${stream.length} tokens, fewer than one sequence of ${seq} that this model needs`);
  }
  const fixedBatch = fixedDim(plan.ids, 0);
  const fit = Math.floor(stream.length / seq);
  let samples = Math.min(o.samples, fit);
  if (fixedBatch) samples = Math.max(fixedBatch, samples - (samples % fixedBatch));
  const starts = evenWindows(stream.length, seq, samples);
  const ranges = batchRanges(starts.length, fixedBatch ?? o.batchSize);
  return {
    description: { source: 'text', path: path.resolve(file), tokenizer: tokens.tokenizer, sequenceLength: seq, samples: starts.length, seed: o.seed },
    batches: ranges.length,
    batch(i) {
      const [from, to] = ranges[i];
      const ids = new Int32Array((to - from) * seq);
      for (let r = from; r < to; r++) ids.set(stream.subarray(starts[r], starts[r] + seq), (r - from) * seq);
      return tokenFeeds(plan, ids, to - from, seq);
    },
  };
}

function checkVocabulary(ids: Int32Array, vocab: number | null, file: string, tokenizer: string): void {
  if (vocab === null) return;
  let max = -1;
  for (let i = 0; i < ids.length; i++) if (ids[i] > max) max = ids[i];
  if (max >= vocab) {
    const how = tokenizer === 'bytes' ? 'as bytes (no tokenizer.json beside the model)' : `with ${tokenizer}`;
    throw new SubcloneError('MissingData', `${file} tokenized ${how} gives token id ${max}, outside the model's vocabulary of ${vocab}: put the model's tokenizer.json beside it`);
  }
}
