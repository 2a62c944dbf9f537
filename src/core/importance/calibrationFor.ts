import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CalibrationSource } from '../data/calibrationSource';
import { configuredContext } from '../data/configuredContext';
import { isImageFile } from '../data/imageData';
import { imageCalibration } from '../data/imageCalibration';
import { randomCalibration } from '../data/randomCalibration';
import { textCalibration } from '../data/textCalibration';
import { SubcloneError, errorMessage } from '../errors';
import type { TransformerMap } from '../recognize/transformerMap';
import { IMPORTANCE_DEFAULTS as DEFAULTS, type ImportanceOptions } from './options';

/** Data formats the extension offers that calibration does not read (yet), named in the error. */
const UNSUPPORTED_DATA = new Set(['.npy', '.npz', '.parquet', '.arrow', '.safetensors', '.onnx']);

/**
 * The calibration batches for a request: text windows or preprocessed images from a path, or random inputs.
 * Errors name the path and what is wrong with it (missing, empty, images for a text model, text for a vision model).
 */
export function calibrationFor(modelFile: string, map: TransformerMap, o: ImportanceOptions): CalibrationSource {
  const data = o.data;
  if (data.kind === 'source') return data.source;
  if (data.kind === 'weights') throw new SubcloneError('BadArgument', 'data-free scores need no calibration batches');
  const vision = map.family === 'vit' || map.dims.vocab === null;
  const seed = o.seed ?? DEFAULTS.seed;
  const samples = positive(o.samples ?? (vision ? DEFAULTS.imageSamples : DEFAULTS.textSamples), 'samples');
  const context = map.dims.context ?? configuredContext(modelFile) ?? DEFAULTS.unboundedContext;
  const sequenceLength = positive(o.sequenceLength ?? Math.min(context, DEFAULTS.maxSequence), 'sequence length');
  if (map.dims.context !== null && sequenceLength > map.dims.context) {
    throw new SubcloneError('BadArgument', `a sequence length of ${sequenceLength} is longer than the model's ${map.dims.context} positions: choose at most ${map.dims.context}`);
  }
  const batchSize = positive(o.batchSize ?? (vision ? DEFAULTS.imageBatch : Math.max(1, Math.floor(DEFAULTS.batchTokens / sequenceLength))), 'batch size');
  if (data.kind === 'random') {
    return randomCalibration({ inputs: map.inputs, vocab: map.dims.vocab, samples, sequenceLength, batchSize, imageSize: DEFAULTS.randomImageSize, seed });
  }
  const file = data.path;
  const stat = statOf(file);
  if (vision) {
    return imageCalibration(file, { modelFile, inputs: map.inputs, samples, batchSize, seed, ...(o.onNotice ? { onNotice: o.onNotice } : {}) });
  }
  if (stat.isDirectory()) {
    const images = fs.readdirSync(file, { recursive: true, encoding: 'utf8' }).some(isImageFile);
    throw new SubcloneError('BadArgument', images
      ? `${file} holds images, but this ${map.family} model reads text: pass a text file`
      : `${file} is a folder; this ${map.family} model calibrates on text: pass one text file`);
  }
  if (isImageFile(file)) throw new SubcloneError('BadArgument', `${file} is an image, but this ${map.family} model reads text: pass a text file`);
  if (UNSUPPORTED_DATA.has(path.extname(file).toLowerCase())) {
    throw new SubcloneError('Unsupported', `${file}: ${path.extname(file)} calibration data is not supported yet; pass a plain text file`);
  }
  if (stat.size === 0) throw new SubcloneError('MissingData', `${file} is empty`);
  return textCalibration(file, {
    modelFile,
    inputs: map.inputs,
    vocab: map.dims.vocab,
    samples,
    sequenceLength,
    batchSize,
    seed,
    ...(data.split ? { split: data.split } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    onProgress: (done, total) => o.onProgress?.({ stage: 'data', done, total, tokens: 0, message: `tokenizing ${path.basename(file)}` }),
  });
}

function statOf(file: string): fs.Stats {
  try {
    return fs.statSync(file);
  } catch (e) {
    throw new SubcloneError('MissingData', `cannot read the calibration data ${file}: ${errorMessage(e)}`, { cause: e });
  }
}

function positive(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw new SubcloneError('BadArgument', `the ${what} must be a whole number of at least 1, got ${n}`);
  return n;
}
