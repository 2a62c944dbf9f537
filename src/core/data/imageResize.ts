import { SubcloneError } from '../errors';

/** An 8-bit RGB image, row-major, 3 bytes per pixel. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** PIL's resampling filters by their enum value (Image.Resampling), as preprocessor_config.json's `resample`. */
interface Filter {
  support: number;
  weight(x: number): number;
}

const FILTERS: Record<number, Filter> = {
  1: { support: 3, weight: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) }, // LANCZOS
  2: { support: 1, weight: (x) => Math.max(0, 1 - Math.abs(x)) }, // BILINEAR
  3: { support: 2, weight: bicubic }, // BICUBIC
  4: { support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) }, // BOX
  5: { support: 1, weight: (x) => (Math.abs(x) < 1 ? sinc(x) * (0.54 + 0.46 * Math.cos(Math.PI * x)) : 0) }, // HAMMING
};

const NEAREST = 0;
/** PIL's fixed-point precision for 8-bit images: 32 − 8 − 2 bits. */
const PRECISION_BITS = 22;

/**
 * Resizes like Pillow's Image.resize (what Hugging Face image processors call): separable convolution with the
 * filter widened by the downscale factor (antialiasing), 22-bit fixed-point coefficients, a horizontal pass
 * rounded to 8 bits, then a vertical pass. Bit-exact with Pillow for the supported filters.
 */
export function resizeLikePil(img: RgbImage, width: number, height: number, resample: number): RgbImage {
  if (width < 1 || height < 1) throw new SubcloneError('BadArgument', `cannot resize an image to ${width}×${height}`);
  if (resample === NEAREST) return resizeNearest(img, width, height);
  const filter = FILTERS[resample];
  if (!filter) throw new SubcloneError('Unsupported', `resample filter ${resample} is not supported (PIL filters 0–5)`);
  let out = img;
  if (width !== img.width) out = resamplePass(out, width, filter, true);
  if (height !== img.height) out = resamplePass(out, height, filter, false);
  return out;
}

/** One pass of PIL's ImagingResampleHorizontal/Vertical_8bpc. */
function resamplePass(img: RgbImage, size: number, filter: Filter, horizontal: boolean): RgbImage {
  const inSize = horizontal ? img.width : img.height;
  const { ksize, bounds, coeffs } = fixedPointCoefficients(inSize, size, filter);
  const width = horizontal ? size : img.width;
  const height = horizontal ? img.height : size;
  const out = new Uint8Array(width * height * 3);
  const src = img.data;
  const half = 1 << (PRECISION_BITS - 1);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = horizontal ? x : y;
      const min = bounds[2 * o];
      const count = bounds[2 * o + 1];
      const k = o * ksize;
      for (let c = 0; c < 3; c++) {
        let ss = half;
        for (let i = 0; i < count; i++) {
          const at = horizontal ? (y * img.width + min + i) * 3 + c : ((min + i) * img.width + x) * 3 + c;
          ss += src[at] * coeffs[k + i];
        }
        out[(y * width + x) * 3 + c] = clip8(ss);
      }
    }
  }
  return { width, height, data: out };
}

/** PIL's precompute_coeffs + normalize_coeffs_8bpc: per output pixel, the first input index, count and weights. */
function fixedPointCoefficients(inSize: number, outSize: number, filter: Filter): { ksize: number; bounds: Int32Array; coeffs: Int32Array } {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const coeffs = new Int32Array(outSize * ksize);
  const weights = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      weights[x] = filter.weight((x + xmin - center + 0.5) / filterScale);
      total += weights[x];
    }
    for (let x = 0; x < xmax; x++) {
      const w = total !== 0 ? weights[x] / total : weights[x];
      coeffs[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * (1 << PRECISION_BITS)) : Math.trunc(0.5 + w * (1 << PRECISION_BITS));
    }
    bounds[2 * xx] = xmin;
    bounds[2 * xx + 1] = xmax;
  }
  return { ksize, bounds, coeffs };
}

function clip8(ss: number): number {
  const v = Math.floor(ss / (1 << PRECISION_BITS));
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** PIL's NEAREST: the source pixel under each output pixel's centre. */
function resizeNearest(img: RgbImage, width: number, height: number): RgbImage {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(img.height - 1, Math.floor(((y + 0.5) * img.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(img.width - 1, Math.floor(((x + 0.5) * img.width) / width));
      for (let c = 0; c < 3; c++) out[(y * width + x) * 3 + c] = img.data[(sy * img.width + sx) * 3 + c];
    }
  }
  return { width, height, data: out };
}

function bicubic(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}
