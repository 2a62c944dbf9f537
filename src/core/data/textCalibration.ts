import * as path from 'node:path';
import { SubcloneError } from '../errors';
import type { ValueSpec } from '../onnx/valueInfo';
import { batchRanges, type CalibrationSource } from './calibrationSource';
import { fixedDim, planFeeds, tokenFeeds } from './modelFeeds';
import { byteText, type TokenRange } from './byteText';
import { SAMPLED_TEXT_MIN_BYTES, sampledText } from './sampledText';
import { VALIDATION_FRACTION, byteTokenTable, findTokenizer, loadTextTokens, readTokenizerJson, textFileSize, tokenizerEncoder } from './textData';
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
  const fixedSeq = fixedDim(plan.ids, 1);
  const fixedBatch = fixedDim(plan.ids, 0);
  const wanted = fixedBatch ? Math.max(fixedBatch, o.samples - (o.samples % fixedBatch)) : o.samples;
  const tokens = tokenStream(file, o, fixedSeq ?? o.sequenceLength, wanted);
  const stream = tokens.stream;
  if (o.vocab !== null && tokens.maxId() >= o.vocab) {
    const how = tokens.tokenizer === 'bytes' ? 'as bytes (no tokenizer.json beside the model)' : `with ${tokens.tokenizer}`;
    throw new SubcloneError('MissingData', `${file} tokenized ${how} gives token id ${tokens.maxId()}, outside the model's vocabulary of ${o.vocab}: put the model's tokenizer.json beside it`);
  }
  if (o.split !== 'validation' && !fixedSeq && stream.length < o.sequenceLength) {
    // Shorter windows would calibrate on positions the model is never used at; say so instead.
    throw new SubcloneError('MissingData', `${file} has ${stream.length} tokens to calibrate on (its first 95%), fewer than one window of ${o.sequenceLength} tokens (the model's context): give a longer text`);
  }
  // The held-out split (the last 5%) may be shorter than a window: its windows shrink to fit.
  const seq = fixedSeq ?? Math.min(o.sequenceLength, stream.length);
  if (stream.length < seq || seq < 1) {
    throw new SubcloneError('MissingData', `${file} has ${stream.length} tokens, fewer than one sequence of ${seq} that this model needs`);
  }
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
      for (let r = from; r < to; r++) ids.set(stream.read(starts[r], seq), (r - from) * seq);
      return tokenFeeds(plan, ids, to - from, seq);
    },
  };
}

/**
 * The token stream of the split wanted. Byte-level text (no tokenizer.json, or one that maps each byte to a token)
 * is read by range, only the windows used; with another tokenizer a text of SAMPLED_TEXT_MIN_BYTES or more is
 * tokenized only in the `samples` windows of `seq` tokens taken from it (sampledText), a smaller one whole.
 */
function tokenStream(file: string, o: TextCalibrationOptions, seq: number, samples: number): { stream: TokenRange; tokenizer: string; maxId(): number } {
  const part = o.split === 'validation' ? 'validation' : 'train';
  const tokenizer = findTokenizer(o.modelFile);
  const json = tokenizer ? readTokenizerJson(tokenizer) : undefined;
  const table = json ? byteTokenTable(json) : undefined;
  if (!tokenizer || table) {
    const text = byteText(file, table, VALIDATION_FRACTION);
    if (text.train.length < 2 || text.validation.length < 2) throw new SubcloneError('MissingData', `${file} is too short to train on (${text.totalBytes} bytes)`);
    o.onProgress?.(text.totalBytes, text.totalBytes); // bytes are the tokens: nothing to tokenize up front
    // Any byte can occur: read the file through only when some byte's id would not fit the vocabulary.
    const widest = table ? Math.max(...table) : 255;
    let max: number | undefined;
    return { stream: text[part], tokenizer: tokenizer ?? 'bytes', maxId: () => (o.vocab !== null && widest >= o.vocab ? (max ??= text.maxId()) : -1) };
  }
  if (textFileSize(file) >= SAMPLED_TEXT_MIN_BYTES) {
    const text = sampledText(file, tokenizerEncoder(tokenizer, json), VALIDATION_FRACTION);
    const windows = text.windows(part, samples, seq, { ...(o.signal ? { signal: o.signal } : {}), ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
    return { stream: windows, tokenizer, maxId: () => windows.maxId() };
  }
  const tokens = loadTextTokens(file, { tokenizer, ...(o.signal ? { signal: o.signal } : {}), ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
  const ids = tokens[part];
  let max: number | undefined;
  return { stream: { length: ids.length, read: (start, count) => ids.subarray(start, start + count) }, tokenizer: tokens.tokenizer, maxId: () => (max ??= Math.max(maxOf(tokens.train), maxOf(tokens.validation))) };
}

function maxOf(ids: Int32Array): number {
  let max = -1;
  for (let i = 0; i < ids.length; i++) if (ids[i] > max) max = ids[i];
  return max;
}
