import * as fs from 'node:fs';
import * as path from 'node:path';
import { SubcloneError, errorMessage } from '../errors';
import { resizeLikePil, type RgbImage } from './imageResize';

/**
 * The preprocessing a Hugging Face ViTImageProcessor / DeiTImageProcessor applies (preprocessor_config.json keys):
 * resize (PIL filter `resample`) → optional centre crop → rescale → normalize → CHW float32.
 */
export interface ImagePreprocessing {
  resize: { height: number; width: number } | { shortestEdge: number } | null;
  resample: number;
  crop: { height: number; width: number } | null;
  rescale: number | null;
  mean: [number, number, number] | null;
  std: [number, number, number] | null;
  /** Where the settings came from: the config file, or 'defaults' (ViTImageProcessor's, at the model's input size). */
  from: string;
}

interface PreprocessorConfig {
  do_resize?: boolean;
  size?: number | { height?: number; width?: number; shortest_edge?: number };
  resample?: number;
  do_center_crop?: boolean;
  crop_size?: number | { height: number; width: number };
  do_rescale?: boolean;
  rescale_factor?: number;
  do_normalize?: boolean;
  image_mean?: number[] | number;
  image_std?: number[] | number;
}

/**
 * The preprocessing for a model: its folder's preprocessor_config.json, or ViTImageProcessor's defaults (bilinear
 * resize to the model's input size, ×1/255, mean 0.5, std 0.5) when there is none and the input size is fixed.
 */
export function preprocessingFor(modelFile: string, inputSize: { height: number; width: number } | undefined): ImagePreprocessing {
  const file = path.join(path.dirname(path.resolve(modelFile)), 'preprocessor_config.json');
  if (!fs.existsSync(file)) {
    if (!inputSize) throw new SubcloneError('MissingData', `${file} is missing and the model's image size is not fixed: cannot tell how to preprocess images`);
    return { resize: inputSize, resample: 2, crop: null, rescale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], from: 'defaults' };
  }
  let c: PreprocessorConfig;
  try {
    c = JSON.parse(fs.readFileSync(file, 'utf8')) as PreprocessorConfig;
  } catch (e) {
    throw new SubcloneError('MissingData', `cannot read ${file}: ${errorMessage(e)}`, { cause: e });
  }
  return {
    resize: c.do_resize === false ? null : resizeOf(c.size, file, inputSize),
    resample: c.resample ?? 2,
    crop: c.do_center_crop ? sizeOf(c.crop_size, file, 'crop_size') : null,
    rescale: c.do_rescale === false ? null : c.rescale_factor ?? 1 / 255,
    mean: c.do_normalize === false ? null : triple(c.image_mean ?? 0.5, file, 'image_mean'),
    std: c.do_normalize === false ? null : triple(c.image_std ?? 0.5, file, 'image_std'),
    from: file,
  };
}

/** The output size of preprocessing an image of the given size. */
export function preprocessedSize(p: ImagePreprocessing, width: number, height: number): { height: number; width: number } {
  const resized = p.resize ? resizeTarget(p.resize, width, height) : { width, height };
  return p.crop ?? resized;
}

/** Applies the preprocessing; returns CHW float32 values. */
export function preprocessImage(img: RgbImage, p: ImagePreprocessing): { data: Float32Array; height: number; width: number } {
  let im = img;
  if (p.resize) {
    const t = resizeTarget(p.resize, im.width, im.height);
    im = resizeLikePil(im, t.width, t.height, p.resample);
  }
  const crop = p.crop ?? { height: im.height, width: im.width };
  // HF center_crop: top = (H − h) // 2, padding with zeros where the crop is larger than the image.
  const top = Math.floor((im.height - crop.height) / 2);
  const left = Math.floor((im.width - crop.width) / 2);
  const plane = crop.height * crop.width;
  const out = new Float32Array(3 * plane);
  for (let y = 0; y < crop.height; y++) {
    const sy = y + top;
    for (let x = 0; x < crop.width; x++) {
      const sx = x + left;
      const inside = sy >= 0 && sy < im.height && sx >= 0 && sx < im.width;
      for (let c = 0; c < 3; c++) {
        let v = inside ? im.data[(sy * im.width + sx) * 3 + c] : 0;
        // float32 arithmetic, as numpy does it on float32 arrays
        if (p.rescale !== null) v = Math.fround(v * Math.fround(p.rescale));
        if (p.mean && p.std) v = Math.fround(Math.fround(v - Math.fround(p.mean[c])) / Math.fround(p.std[c]));
        out[c * plane + y * crop.width + x] = v;
      }
    }
  }
  return { data: out, height: crop.height, width: crop.width };
}

function resizeTarget(r: NonNullable<ImagePreprocessing['resize']>, width: number, height: number): { height: number; width: number } {
  if ('height' in r) return r;
  // HF get_resize_output_image_size with shortest_edge: the short side becomes `shortestEdge`, the ratio is kept.
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  const newLong = Math.trunc((r.shortestEdge * long) / short);
  return width <= height ? { width: r.shortestEdge, height: newLong } : { width: newLong, height: r.shortestEdge };
}

function resizeOf(size: PreprocessorConfig['size'], file: string, inputSize: { height: number; width: number } | undefined): ImagePreprocessing['resize'] {
  if (size === undefined) {
    if (!inputSize) throw new SubcloneError('MissingData', `${file} has no "size" and the model's image size is not fixed`);
    return inputSize;
  }
  if (typeof size === 'object' && size.shortest_edge !== undefined && size.height === undefined) return { shortestEdge: size.shortest_edge };
  return sizeOf(size, file, 'size');
}

function sizeOf(size: PreprocessorConfig['size'] | PreprocessorConfig['crop_size'], file: string, key: string): { height: number; width: number } {
  if (typeof size === 'number') return { height: size, width: size };
  if (size && typeof size.height === 'number' && typeof size.width === 'number') return { height: size.height, width: size.width };
  throw new SubcloneError('Unsupported', `${file}: "${key}" ${JSON.stringify(size)} is not supported (expected {height, width}, {shortest_edge} or a number)`);
}

function triple(v: number[] | number, file: string, key: string): [number, number, number] {
  if (typeof v === 'number') return [v, v, v];
  if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number')) return [v[0], v[1], v[2]];
  throw new SubcloneError('Unsupported', `${file}: "${key}" must be three numbers (RGB), got ${JSON.stringify(v)}`);
}
