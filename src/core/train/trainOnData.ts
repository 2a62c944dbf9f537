import * as fs from 'node:fs';
import { listImages } from '../data/imageData';
import { findTokenizer } from '../data/textData';
import { loadTrainingText } from '../data/trainingText';
import { SubcloneError, throwIfAborted } from '../errors';
import { assertWritable } from '../fs/atomicFile';
import type { OnnxModel } from '../onnx/onnxModel';
import { checkpointFile, openCheckpoint } from '../checkpoint/openCheckpoint';
import { valueSpec } from '../onnx/valueInfo';
import { writeModel } from '../onnx/writeModel';
import type { ProviderPreference } from '../runtime/executionProvider';
import { ADAMW_DEFAULTS } from './adamw';
import { imageBatchSource } from './imageBatches';
import type { TrainingTarget } from './target';
import { trainingTargetFor } from './targetFor';
import { textBatchSource } from './textBatches';
import { trainModel, type CurvePoint, type TrainResult, type TrainRunOptions } from './trainLoop';
import { modelWithWeights } from './weights';
import { quote } from '../quote';

/** A training run, as the CLI and the worker ask for it. */
export interface TrainingRequest {
  model: string;
  /** A text file (language models) or a folder of images in class subfolders (image classifiers). */
  data: string;
  steps: number;
  batch: number;
  /** Tokens per sequence (text only). */
  seq: number;
  lr: number;
  init?: 'model' | 'random';
  evalEvery?: number;
  evalAtStart?: boolean;
  /** Held-out batches per evaluation (default 8), or 'all' of the validation split. */
  evalBatches?: number | 'all';
  seed?: number;
  warmup?: number;
  minLr?: number;
  clip?: number;
  weightDecay?: number;
  provider?: ProviderPreference;
  /** Write the trained model here (same graph, trained weights). */
  save?: string;
  overwrite?: boolean;
}

export interface TrainingRunResult {
  curve: CurvePoint[];
  initialValLoss: number | null;
  provider: string;
  seconds: number;
  /** 'bytes', the tokenizer.json used, or 'images'. */
  tokenizer: string;
  /** Training tokens (text) or images. */
  trainTokens: number;
  config: TrainResult['config'];
  unreached: string[];
  saved?: string;
}

/**
 * Trains a model on a text file (last 5% of its bytes held out, tokenized with the model's tokenizer.json when it
 * has one) or an image folder, and optionally writes the trained model. `onProgress` sees every step, so a caller
 * that is cancelled still has the curve so far.
 */
export async function trainOnData(request: TrainingRequest, run: TrainRunOptions = {}): Promise<TrainingRunResult> {
  const req = { ...request, model: checkpointFile(request.model) };
  if (!fs.existsSync(req.data)) throw new SubcloneError('MissingData', `the training data ${req.data} does not exist`);
  if (req.save) assertWritable(req.save, req.overwrite ?? false);
  const model = openCheckpoint(req.model);
  try {
    const target = await trainingTargetFor(model, run.signal);
    const seed = req.seed ?? 0;
    const { data, tokenizer, trainItems } = batchSource(req, model, target, seed, run);
    throwIfAborted(run.signal);
    const result = await trainModel(model, target, data, {
      steps: req.steps,
      lr: req.lr,
      seed,
      init: req.init ?? 'model',
      evalEvery: req.evalEvery ?? 0,
      evalAtStart: req.evalAtStart ?? false,
      provider: req.provider ?? 'auto',
      ...(req.warmup !== undefined ? { warmup: req.warmup } : {}),
      ...(req.minLr !== undefined ? { minLr: req.minLr } : {}),
      ...(req.clip !== undefined ? { clip: req.clip } : {}),
      adamw: { ...ADAMW_DEFAULTS, ...(req.weightDecay !== undefined ? { weightDecay: req.weightDecay } : {}) },
    }, run);
    let saved: string | undefined;
    if (req.save) {
      saved = writeModel(modelWithWeights(model, result.values), req.save, { overwrite: req.overwrite ?? false, signal: run.signal }).file;
    }
    return {
      curve: result.curve,
      initialValLoss: result.initialValLoss,
      provider: result.provider,
      seconds: result.seconds,
      tokenizer,
      trainTokens: trainItems,
      config: result.config,
      unreached: result.unreached,
      ...(saved ? { saved } : {}),
    };
  } finally {
    model.close();
  }
}

function batchSource(req: TrainingRequest, model: OnnxModel, target: TrainingTarget, seed: number, run: TrainRunOptions) {
  const inputs = model.graph.input.map(valueSpec);
  const evalBatches = req.evalBatches ?? 8;
  if (fs.statSync(req.data).isDirectory()) {
    const out = model.graph.output.map(valueSpec).find((v) => v.name === target.output);
    const classes = out?.shape?.[out.shape.length - 1];
    if (typeof classes !== 'number') throw new SubcloneError('Unsupported', `the classifier output ${quote(target.output)} has no fixed number of classes`);
    const data = imageBatchSource(req.data, target, inputs, { modelFile: req.model, batch: req.batch, seed, evalBatches, classes, ...(run.onNotice ? { onNotice: run.onNotice } : {}) });
    return { data, tokenizer: 'images', trainItems: listImages(req.data).length };
  }
  const tokenizer = findTokenizer(req.model);
  if (!tokenizer) run.onNotice?.(`no tokenizer.json beside ${req.model}: reading the text as bytes (token id = byte value)`);
  const tokens = loadTrainingText(req.data, { ...(tokenizer ? { tokenizer } : {}), span: req.seq + 1, evalWindows: evalBatches === 'all' ? 'all' : evalBatches * req.batch, ...(run.signal ? { signal: run.signal } : {}) });
  const data = textBatchSource(tokens, target, inputs, { batch: req.batch, seq: req.seq, seed, evalBatches });
  return { data, tokenizer: tokens.tokenizer, trainItems: tokens.train.length };
}
