import { SubcloneError } from '../errors';
import type { ValueSpec } from '../onnx/valueInfo';
import { Rng } from '../random/rng';
import { batchRanges, type CalibrationSource } from './calibrationSource';
import { fixedDim, pixelFeeds, planFeeds, tokenFeeds } from './modelFeeds';

export interface RandomCalibrationOptions {
  inputs: ValueSpec[];
  /** Token ids are drawn below this (text models). */
  vocab: number | null;
  samples: number;
  sequenceLength: number;
  batchSize: number;
  /** Image side when the model's input size is not fixed. */
  imageSize: number;
  seed: number;
}

/**
 * Random inputs: uniform token ids, or standard-normal pixels (what normalised images look like). Only an explicit
 * fallback: the report flags scores from it, since random inputs exercise a model very differently from data.
 */
export function randomCalibration(o: RandomCalibrationOptions): CalibrationSource {
  const plan = planFeeds(o.inputs);
  const input = plan.ids ?? plan.pixels;
  if (!input) throw new SubcloneError('Unsupported', 'the model has neither a token-id nor an image input to feed random values to');
  const fixedBatch = fixedDim(input, 0);
  const samples = fixedBatch ? Math.max(fixedBatch, o.samples - (o.samples % fixedBatch)) : o.samples;
  const ranges = batchRanges(samples, fixedBatch ?? o.batchSize);
  if (plan.ids) {
    if (!o.vocab) throw new SubcloneError('Unsupported', 'the vocabulary size is unknown: cannot draw random token ids');
    const seq = fixedDim(plan.ids, 1) ?? o.sequenceLength;
    const vocab = o.vocab;
    return {
      description: { source: 'random', path: null, tokenizer: null, sequenceLength: seq, samples, seed: o.seed },
      batches: ranges.length,
      batch(i) {
        const [from, to] = ranges[i];
        const rng = new Rng(o.seed, `random-tokens:${i}`);
        return tokenFeeds(plan, Int32Array.from({ length: (to - from) * seq }, () => rng.int(vocab)), to - from, seq);
      },
    };
  }
  const h = fixedDim(input, 2) ?? o.imageSize;
  const w = fixedDim(input, 3) ?? o.imageSize;
  return {
    description: { source: 'random', path: null, tokenizer: null, sequenceLength: null, samples, seed: o.seed },
    batches: ranges.length,
    batch(i) {
      const [from, to] = ranges[i];
      const rng = new Rng(o.seed, `random-pixels:${i}`);
      return pixelFeeds(plan, Float32Array.from({ length: (to - from) * 3 * h * w }, () => rng.normal()), [to - from, 3, h, w]);
    },
  };
}
