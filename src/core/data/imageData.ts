import * as fs from 'node:fs';
import * as path from 'node:path';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { SubcloneError, errorMessage } from '../errors';
import type { RgbImage } from './imageResize';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);
/** Formats people try that we do not decode, named in the error when a folder holds only those. */
const OTHER_IMAGES = new Set(['.webp', '.bmp', '.gif', '.tif', '.tiff', '.heic', '.avif']);

export function isImageFile(file: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(file).toLowerCase());
}

/**
 * The PNG and JPEG files under a folder (subfolders included, as in class-per-folder datasets), sorted by path.
 * Throws MissingData naming the folder when it is unreadable or holds none.
 */
export function listImages(folder: string): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(folder, { recursive: true, encoding: 'utf8' });
  } catch (e) {
    throw new SubcloneError('MissingData', `cannot read the image folder ${folder}: ${errorMessage(e)}`, { cause: e });
  }
  const files = entries.filter(isImageFile).map((f) => path.join(folder, f)).filter((f) => fs.statSync(f).isFile()).sort();
  if (files.length === 0) {
    const others = entries.filter((f) => OTHER_IMAGES.has(path.extname(f).toLowerCase()));
    const hint = others.length ? ` (it has ${others.length} images in other formats, e.g. ${others[0]}: convert them to PNG or JPEG)` : '';
    throw new SubcloneError('MissingData', `no PNG or JPEG images in ${folder}${hint}`);
  }
  return files;
}

/**
 * Decodes a PNG or JPEG file to 8-bit RGB the way Hugging Face processors see it after PIL's convert('RGB'):
 * grayscale replicated, palette expanded, alpha dropped (not composited).
 */
export function readRgbImage(file: string): RgbImage {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new SubcloneError('MissingData', `cannot read the image ${file}: ${errorMessage(e)}`, { cause: e });
  }
  let rgba: { width: number; height: number; data: Uint8Array };
  try {
    rgba = isPng(bytes) ? PNG.sync.read(bytes) : jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
  } catch (e) {
    throw new SubcloneError('MissingData', `cannot decode the image ${file}: ${errorMessage(e)}`, { cause: e });
  }
  const n = rgba.width * rgba.height;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    data[3 * i] = rgba.data[4 * i];
    data[3 * i + 1] = rgba.data[4 * i + 1];
    data[3 * i + 2] = rgba.data[4 * i + 2];
  }
  return { width: rgba.width, height: rgba.height, data };
}

function isPng(bytes: Uint8Array): boolean {
  return bytes.length > 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
}
