import * as fs from 'node:fs';
import { SubcloneError, errorMessage } from '../errors';

const CHUNK = 256 * 1024 * 1024;

/** Opens a model file for reading; a folder or a missing file gets a message that says so. The caller closes `fd`. */
export function openModelFile(file: string): { fd: number; size: number } {
  return openFileForReading(file, () => {
    const onnx = fs.readdirSync(file).filter((f) => f.toLowerCase().endsWith('.onnx'));
    const hint = onnx.length ? `; it holds ${onnx.slice(0, 3).join(', ')}${onnx.length > 3 ? ', …' : ''}` : '';
    return `${file} is a folder, not an ONNX model file: give the .onnx file itself${hint}`;
  });
}

/** Opens a file for reading: a missing one is MissingData, a folder BadModel with `folderMessage()`. The caller closes `fd`. */
export function openFileForReading(file: string, folderMessage: () => string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new SubcloneError('MissingData', `cannot open ${file}: ${errorMessage(e)}`, { cause: e });
  }
  try {
    const stat = fs.fstatSync(fd);
    if (stat.isDirectory()) throw new SubcloneError('BadModel', folderMessage());
    return { fd, size: stat.size };
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

/** Fills `out` with `out.length` bytes of the open file starting at `position`. */
export function readRange(fd: number, out: Uint8Array, position: number, length: number, file: string): void {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, out, done, Math.min(CHUNK, length - done), position + done);
    if (n === 0) {
      throw new SubcloneError('BadModel', `${file} ended after ${position + done} bytes, expected ${position + length}`);
    }
    done += n;
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}
