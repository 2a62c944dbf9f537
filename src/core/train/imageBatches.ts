import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { listImages, readRgbImage } from '../data/imageData';
import { preprocessImage, preprocessingFor, type ImagePreprocessing } from '../data/imagePreprocess';
import { fixedDim, pixelFeeds, planFeeds } from '../data/modelFeeds';
import { SubcloneError } from '../errors';
import type { ValueSpec } from '../onnx/valueInfo';
import type { Batch, BatchSource } from './batch';
import { Rng } from '../random/rng';
import type { TrainingTarget } from './target';

export interface ImageBatchOptions {
  /** The model file: its folder's preprocessor_config.json and config.json (label2id) are read. */
  modelFile: string;
  batch: number;
  seed: number;
  /** Held-out batches per evaluation, or 'all' of the held-out images. */
  evalBatches: number | 'all';
  /** Classes the model's output has. */
  classes: number;
  onNotice?: (message: string) => void;
}

interface Sample {
  file: string;
  label: number;
}

/** Images kept decoded and preprocessed in memory, up to this many floats (512 MiB). */
const CACHE_FLOATS = 128 * 1024 * 1024;

/**
 * Classification batches from an image folder with one subfolder per class (the ImageFolder layout). Class ids
 * come from the model's config.json label2id when it names every subfolder, else from the sorted subfolder names.
 * A seeded 5% of the images (at least one) is held out; training visits the rest in a new seeded order each epoch.
 */
export function imageBatchSource(folder: string, target: TrainingTarget, inputs: ValueSpec[], o: ImageBatchOptions): BatchSource {
  if (target.kind !== 'classifier') throw new SubcloneError('Unsupported', `image folders train classifiers; this model's training target is a ${target.kind} output`);
  const plan = planFeeds(inputs);
  if (!plan.pixels) throw new SubcloneError('Unsupported', 'the model has no image input');
  const samples = labelled(folder, o.modelFile, o.classes);
  const order = shuffled(samples.length, new Rng(o.seed, 'split'));
  const heldOut = Math.max(1, Math.round(samples.length * 0.05));
  if (samples.length - heldOut < 1) throw new SubcloneError('MissingData', `${folder} has ${samples.length} image(s): too few to hold some out and train on the rest`);
  const validation = order.slice(0, heldOut).map((i) => samples[i]);
  const train = order.slice(heldOut).map((i) => samples[i]);
  const fixed = { height: fixedDim(plan.pixels, 2), width: fixedDim(plan.pixels, 3) };
  const pre = preprocessingFor(o.modelFile, fixed.height && fixed.width ? { height: fixed.height, width: fixed.width } : undefined);
  const pixels = pixelCache(pre);
  const make = (items: Sample[]): Batch => {
    const images = items.map((s) => pixels(s.file));
    const { height, width } = images[0];
    const plane = 3 * height * width;
    const data = new Float32Array(o.batch * plane);
    images.forEach((im, k) => {
      if (im.height !== height || im.width !== width) {
        throw new SubcloneError('ShapeMismatch', `${items[k].file} preprocesses to ${im.width}×${im.height}, others to ${width}×${height}; give preprocessor_config.json a fixed size`);
      }
      data.set(im.data, k * plane);
    });
    const targets = new BigInt64Array(o.batch);
    const weights = new Float32Array(o.batch);
    items.forEach((s, k) => {
      targets[k] = BigInt(s.label);
      weights[k] = 1 / items.length; // rows past items.length pad a short last batch with weight 0
    });
    return {
      inputs: pixelFeeds(plan, data, [o.batch, 3, height, width]),
      targets: new ort.Tensor('int64', targets, [o.batch]),
      weights: new ort.Tensor('float32', weights, [o.batch]),
      tokens: items.length,
    };
  };
  const epochs = new Map<number, number[]>();
  const trainItems = (step: number): Sample[] =>
    Array.from({ length: o.batch }, (_, j) => {
      const k = step * o.batch + j;
      const epoch = Math.floor(k / train.length);
      let perm = epochs.get(epoch);
      if (!perm) epochs.set(epoch, (perm = shuffled(train.length, new Rng(o.seed, `epoch:${epoch}`))));
      return train[perm[k % train.length]];
    });
  const evalCount = o.evalBatches === 'all' ? validation.length : Math.min(validation.length, o.evalBatches * o.batch);
  let validationBatches: Batch[] | undefined;
  return {
    shape: [o.batch, 0],
    train: (step) => make(trainItems(step)),
    validation: () => {
      validationBatches ??= chunk(validation.slice(0, evalCount), o.batch).map(make);
      return validationBatches;
    },
  };
}

/** Every image under a class subfolder, with its class id. */
function labelled(folder: string, modelFile: string, classes: number): Sample[] {
  const files = listImages(folder);
  const classOf = (f: string) => path.relative(folder, f).split(path.sep)[0];
  const loose = files.filter((f) => path.relative(folder, f).split(path.sep).length < 2);
  if (loose.length) throw new SubcloneError('BadArgument', `${loose[0]} is not in a class subfolder: image training reads <folder>/<class>/<image>`);
  const names = [...new Set(files.map(classOf))].sort();
  const label2id = readLabel2id(modelFile);
  const ids = new Map(names.map((n, i) => [n, label2id && names.every((x) => x in label2id) ? label2id[n] : i] as const));
  const top = Math.max(...ids.values());
  if (top >= classes) throw new SubcloneError('BadArgument', `${folder} has classes up to id ${top} (${names.length} subfolders) but the model has ${classes} outputs`);
  return files.map((file) => ({ file, label: ids.get(classOf(file))! }));
}

function readLabel2id(modelFile: string): Record<string, number> | undefined {
  const file = path.join(path.dirname(path.resolve(modelFile)), 'config.json');
  try {
    const config = JSON.parse(fs.readFileSync(file, 'utf8')) as { label2id?: Record<string, number> };
    return config.label2id;
  } catch {
    return undefined;
  }
}

/** Decoded, preprocessed images by file, kept while they fit the cache. */
function pixelCache(pre: ImagePreprocessing): (file: string) => { data: Float32Array; height: number; width: number } {
  const cache = new Map<string, { data: Float32Array; height: number; width: number }>();
  let floats = 0;
  return (file) => {
    const hit = cache.get(file);
    if (hit) return hit;
    const im = preprocessImage(readRgbImage(file), pre);
    if (floats + im.data.length <= CACHE_FLOATS) {
      cache.set(file, im);
      floats += im.data.length;
    }
    return im;
  };
}

function shuffled(n: number, rng: Rng): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
