import * as fs from 'node:fs';
import { findTokenizer, type TextTokens } from '../data/textData';
import { loadTrainingText } from '../data/trainingText';
import { SubcloneError } from '../errors';
import type { OnnxModel } from '../onnx/onnxModel';
import { valueSpec } from '../onnx/valueInfo';
import type { BatchSource } from '../train/batch';
import { imageBatchSource } from '../train/imageBatches';
import type { TrainingTarget } from '../train/target';
import { textBatchSource } from '../train/textBatches';
import type { ResolvedSettings } from './settings';
import { quote } from '../quote';

/**
 * The sweep's data, prepared once: text is tokenized in the coordinating thread (into shared memory, so parallel
 * runs read it without copies); an image folder is read by each run (decoded images are cached per run).
 */
export type SweepData = { kind: 'text'; path: string; tokens: TextTokens } | { kind: 'images'; path: string };

/**
 * Why the trainer cannot run a convergence check of this model on this kind of data, or null when it can. Asked
 * before anything runs, so the panel and the CLI can name the model and the reason.
 */
export function untrainableReason(target: TrainingTarget, dataIsFolder: boolean, model: string): string | null {
  if (dataIsFolder) {
    if (target.kind === 'classifier' && target.inputs.pixels) return null;
    return `${model} cannot be trained on an image folder: it has no image-classifier head (its training target is the ${target.kind === 'lm' ? 'language-model logits' : 'hidden-state'} output)`;
  }
  if (target.kind === 'hidden') {
    return `${model} is an encoder without a head (it outputs hidden states only): the trainer needs next-token logits to train on text, or class logits to train on images`;
  }
  if (target.kind === 'classifier') return `${model} is an image classifier: give it an image folder (one subfolder per class), not a text file`;
  if (target.causal === false) return `${model} is a masked language model (an encoder): masked-language-model training is not supported yet, only next-token (causal) models train on text`;
  if (!target.inputs.ids) return `${model} has no token-id input to feed text to`;
  return null;
}

/** Reads the data once for the whole sweep (of a large text, what the runs can use: loadTrainingText). */
export function prepareData(model: string, data: string, s: Pick<ResolvedSettings, 'seq' | 'batch' | 'evalBatches'>, signal?: AbortSignal, onNotice?: (m: string) => void): SweepData {
  if (!fs.existsSync(data)) throw new SubcloneError('MissingData', `the training data ${data} does not exist`);
  if (fs.statSync(data).isDirectory()) return { kind: 'images', path: data };
  const tokenizer = findTokenizer(model);
  if (!tokenizer) onNotice?.(`no tokenizer.json beside ${model}: reading the text as bytes (token id = byte value)`);
  const tokens = loadTrainingText(data, { ...(tokenizer ? { tokenizer } : {}), span: s.seq + 1, evalWindows: s.evalBatches * s.batch, ...(signal ? { signal } : {}) });
  return { kind: 'text', path: data, tokens: { ...tokens, train: shared(tokens.train), validation: shared(tokens.validation) } };
}

/** The batch source every run of the sweep reads: the same seeded order and held-out windows for all. */
export function sweepBatches(model: OnnxModel, modelFile: string, target: TrainingTarget, data: SweepData, s: ResolvedSettings, onNotice?: (m: string) => void): BatchSource {
  const inputs = model.graph.input.map(valueSpec);
  if (data.kind === 'text') return textBatchSource(data.tokens, target, inputs, { batch: s.batch, seq: s.seq, seed: s.seed, evalBatches: s.evalBatches });
  const out = model.graph.output.map(valueSpec).find((v) => v.name === target.output);
  const classes = out?.shape?.[out.shape.length - 1];
  if (typeof classes !== 'number') throw new SubcloneError('Unsupported', `the classifier output ${quote(target.output)} has no fixed number of classes`);
  return imageBatchSource(data.path, target, inputs, { modelFile, batch: s.batch, seed: s.seed, evalBatches: s.evalBatches, classes, ...(onNotice ? { onNotice } : {}) });
}

function shared(a: Int32Array): Int32Array {
  const out = new Int32Array(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}
