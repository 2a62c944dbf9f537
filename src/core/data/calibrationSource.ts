import type * as ort from 'onnxruntime-node';
import { SubcloneError } from '../errors';

/** Values for a model's inputs, by input name. */
export type Feeds = Record<string, ort.Tensor>;

/** What calibration data was used, as the importance report records it. */
export interface CalibrationDescription {
  source: 'text' | 'images' | 'random';
  /** The data file or folder; null for random inputs. */
  path: string | null;
  /** 'bytes', the tokenizer.json used, or null for images. */
  tokenizer: string | null;
  /** Tokens per sequence (text), null for images. */
  sequenceLength: number | null;
  /** Sequences or images. */
  samples: number;
  seed: number;
}

/**
 * Calibration batches, built one at a time when asked so memory holds a single batch whatever the sample count.
 * Every batch feeds all the model's inputs.
 */
export interface CalibrationSource {
  readonly description: CalibrationDescription;
  readonly batches: number;
  /** Batch `i` (0-based, below `batches`). */
  batch(i: number): Promise<Feeds> | Feeds;
}

/** A source over batches the caller already has (tests, benchmarks, other engines' data). */
export function feedsSource(batches: Feeds[], description: CalibrationDescription): CalibrationSource {
  if (batches.length === 0) throw new SubcloneError('MissingData', 'no calibration batches were given');
  return { description, batches: batches.length, batch: (i) => batches[i] };
}

/** Splits `total` items into consecutive batches of at most `size`: [start, end) pairs. */
export function batchRanges(total: number, size: number): [number, number][] {
  if (!(size >= 1)) throw new SubcloneError('BadArgument', `the batch size must be at least 1, got ${size}`);
  const out: [number, number][] = [];
  for (let start = 0; start < total; start += size) out.push([start, Math.min(total, start + size)]);
  return out;
}
