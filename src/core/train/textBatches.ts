import * as ort from 'onnxruntime-node';
import { planFeeds, tokenFeeds, type FeedPlan } from '../data/modelFeeds';
import type { TextTokens } from '../data/textData';
import { evenWindows, randomWindows, randomWindowsInPieces } from '../data/tokenWindows';
import { SubcloneError } from '../errors';
import type { ValueSpec } from '../onnx/valueInfo';
import type { Batch, BatchSource } from './batch';
import type { TrainingTarget } from './target';

export interface TextBatchOptions {
  batch: number;
  seq: number;
  seed: number;
  /** Held-out batches per evaluation, spread evenly over the validation split, or 'all' of it. */
  evalBatches: number | 'all';
}

/**
 * Next-token batches from a token stream: each row is a window of seq+1 tokens, the model reads the first seq and
 * predicts the last seq (masks of ones, zero token types, positions 0..seq-1, empty KV caches). Training windows are drawn at random per step from (seed, step); validation windows are
 * fixed and spread over the held-out split.
 */
export function textBatchSource(tokens: TextTokens, target: TrainingTarget, inputs: ValueSpec[], o: TextBatchOptions): BatchSource {
  if (target.kind !== 'lm' || !target.inputs.ids) {
    throw new SubcloneError('Unsupported', `text data trains language models; this model's training target is a ${target.kind} output`);
  }
  if (target.causal === false) {
    throw new SubcloneError('Unsupported', 'masked-language-model training is not supported yet: text data trains next-token (causal) models');
  }
  if (o.batch < 1 || o.seq < 2) throw new SubcloneError('BadArgument', `batch ${o.batch} × sequence ${o.seq} is too small`);
  const span = o.seq + 1;
  const plan = planFeeds(inputs);
  const make = (stream: Int32Array, starts: number[]): Batch => lmBatch(stream, starts, o.batch, o.seq, plan);
  const valStarts = evenWindows(tokens.validation.length, span, o.evalBatches === 'all' ? 'all' : o.evalBatches * o.batch);
  let validation: Batch[] | undefined;
  return {
    shape: [o.batch, o.seq],
    train: (step) => {
      const label = `batch:${step}`;
      const starts = tokens.trainPiece
        ? randomWindowsInPieces(tokens.train.length / tokens.trainPiece, tokens.trainPiece, span, o.batch, o.seed, label)
        : randomWindows(tokens.train.length, span, o.batch, o.seed, label);
      return make(tokens.train, starts);
    },
    validation: () => {
      validation ??= chunks(valStarts, o.batch).map((starts) => make(tokens.validation, starts));
      return validation;
    },
  };
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Rows past `starts.length` are padding with weight 0 (a short last validation batch keeps the static shape). */
function lmBatch(stream: Int32Array, starts: number[], batch: number, seq: number, plan: FeedPlan): Batch {
  const n = batch * seq;
  const ids = new Int32Array(n);
  const targets = new BigInt64Array(n);
  const weights = new Float32Array(n);
  const w = 1 / (starts.length * seq);
  starts.forEach((s, r) => {
    for (let t = 0; t < seq; t++) {
      ids[r * seq + t] = stream[s + t];
      targets[r * seq + t] = BigInt(stream[s + t + 1]);
      weights[r * seq + t] = w;
    }
  });
  return {
    inputs: tokenFeeds(plan, ids, batch, seq),
    targets: new ort.Tensor('int64', targets, [batch, seq]),
    weights: new ort.Tensor('float32', weights, [batch, seq]),
    tokens: starts.length * seq,
  };
}
