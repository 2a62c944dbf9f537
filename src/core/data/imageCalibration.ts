import * as fs from 'node:fs';
import * as path from 'node:path';
import { SubcloneError } from '../errors';
import type { ValueSpec } from '../onnx/valueInfo';
import { Rng } from '../random/rng';
import { batchRanges, type CalibrationSource } from './calibrationSource';
import { isImageFile, listImages, readRgbImage } from './imageData';
import { preprocessImage, preprocessingFor, type ImagePreprocessing } from './imagePreprocess';
import { fixedDim, pixelFeeds, planFeeds } from './modelFeeds';
import { quote } from '../quote';

export interface ImageCalibrationOptions {
  /** The model file: its folder's preprocessor_config.json says how to preprocess. */
  modelFile: string;
  inputs: ValueSpec[];
  /** Images wanted; all of them when the folder has fewer. A seeded choice when it has more. */
  samples: number;
  batchSize: number;
  seed: number;
  onNotice?: (message: string) => void;
}

/**
 * Calibration images from a folder (or one image file): PNG and JPEG, decoded and preprocessed per the model's
 * preprocessor_config.json one batch at a time.
 */
export function imageCalibration(dataPath: string, o: ImageCalibrationOptions): CalibrationSource {
  const plan = planFeeds(o.inputs);
  if (!plan.pixels) throw new SubcloneError('BadArgument', `${dataPath} holds images, but this model reads token ids: pass a text file`);
  const all = fs.statSync(dataPath).isDirectory() ? listImages(dataPath) : isImageFile(dataPath) ? [dataPath] : [];
  if (all.length === 0) throw new SubcloneError('BadArgument', `${dataPath} is not a PNG or JPEG image: this model reads images (pass an image folder)`);
  const files = choose(all, o.samples, o.seed);
  const channels = fixedDim(plan.pixels, 1) ?? 3;
  if (channels !== 3) throw new SubcloneError('Unsupported', `the image input ${quote(plan.pixels.name)} has ${channels} channels; calibration images are RGB`);
  const fixedH = fixedDim(plan.pixels, 2);
  const fixedW = fixedDim(plan.pixels, 3);
  const pre = preprocessingFor(o.modelFile, fixedH && fixedW ? { height: fixedH, width: fixedW } : undefined);
  if (pre.from === 'defaults') {
    o.onNotice?.(`no preprocessor_config.json beside ${path.basename(o.modelFile)}: images are resized to ${fixedH}×${fixedW} (bilinear) and scaled to [−1, 1], ViTImageProcessor's defaults`);
  }
  const fixedBatch = fixedDim(plan.pixels, 0);
  const usable = fixedBatch ? files.slice(0, Math.max(fixedBatch, files.length - (files.length % fixedBatch))) : files;
  if (fixedBatch && usable.length < fixedBatch) {
    throw new SubcloneError('MissingData', `${dataPath} has ${usable.length} images; the model's batch is fixed at ${fixedBatch}`);
  }
  const ranges = batchRanges(usable.length, fixedBatch ?? o.batchSize);
  return {
    description: { source: 'images', path: path.resolve(dataPath), tokenizer: null, sequenceLength: null, samples: usable.length, seed: o.seed },
    batches: ranges.length,
    batch(i) {
      const [from, to] = ranges[i];
      const images = usable.slice(from, to).map((f) => checkedImage(f, pre, fixedH, fixedW));
      const { height, width } = images[0];
      const plane = 3 * height * width;
      const pixels = new Float32Array(images.length * plane);
      images.forEach((im, k) => {
        if (im.height !== height || im.width !== width) {
          throw new SubcloneError('ShapeMismatch', `${usable[from + k]} preprocesses to ${im.width}×${im.height}, other images in its batch to ${width}×${height}; set a fixed size in preprocessor_config.json`);
        }
        pixels.set(im.data, k * plane);
      });
      return pixelFeeds(plan, pixels, [images.length, 3, height, width]);
    },
  };
}

function checkedImage(file: string, pre: ImagePreprocessing, fixedH: number | undefined, fixedW: number | undefined) {
  const im = preprocessImage(readRgbImage(file), pre);
  if ((fixedH && im.height !== fixedH) || (fixedW && im.width !== fixedW)) {
    throw new SubcloneError('ShapeMismatch', `${pre.from} makes ${file} ${im.width}×${im.height}, but the model's input is ${fixedW}×${fixedH}`);
  }
  return im;
}

/** All files when there are at most `n`; otherwise a seeded sample of `n`, kept in path order. */
function choose(files: string[], n: number, seed: number): string[] {
  if (files.length <= n) return files;
  const rng = new Rng(seed, 'calibration-images');
  const picked = new Set<number>();
  while (picked.size < n) picked.add(rng.int(files.length));
  return [...picked].sort((a, b) => a - b).map((i) => files[i]);
}
