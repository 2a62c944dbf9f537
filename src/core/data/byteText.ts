import * as fs from 'node:fs';
import { SubcloneError, errorMessage } from '../errors';
import { readRange } from '../onnx/fileBytes';
import { heldOutSplit } from './textData';

/** Token ids of a stretch of a text file, read by range. */
export interface TokenRange {
  readonly length: number;
  /** Ids `start` … `start + count − 1` of the stretch. */
  read(start: number, count: number): Int32Array;
}

/** A byte-level text file split as loadTextTokens splits it, each part read from the file when used. */
export interface ByteText {
  train: TokenRange;
  validation: TokenRange;
  splitByte: number;
  totalBytes: number;
  /** The largest id any byte of the file maps to (read through once, in chunks). */
  maxId(): number;
}

const CHUNK = 1 << 20;

/**
 * A text whose token ids are its bytes (or a byte table's ids): nothing is held but the file's name, so a
 * multi-gigabyte file costs the memory of the windows read from it. The held-out split is the file's last
 * `validationFraction` of bytes, moved forward to a character boundary, as loadTextTokens cuts it.
 */
export function byteText(file: string, table: Int32Array | undefined, validationFraction: number): ByteText {
  const size = statSize(file);
  const split = heldOutSplit(size, validationFraction, (i) => readBytes(file, i, 1)[0]);
  const part = (from: number, to: number): TokenRange => ({
    length: to - from,
    read(start, count) {
      if (start < 0 || count < 0 || start + count > to - from) throw new RangeError(`tokens ${start}…${start + count} outside 0…${to - from}`);
      const raw = readBytes(file, from + start, count);
      return table ? Int32Array.from(raw, (b) => table[b]) : Int32Array.from(raw);
    },
  });
  return {
    train: part(0, split),
    validation: part(split, size),
    splitByte: split,
    totalBytes: size,
    maxId() {
      const seen = new Uint8Array(256);
      for (let at = 0; at < size; at += CHUNK) for (const b of readBytes(file, at, Math.min(CHUNK, size - at))) seen[b] = 1;
      let max = -1;
      for (let b = 0; b < 256; b++) if (seen[b]) max = Math.max(max, table ? table[b] : b);
      return max;
    },
  };
}

function statSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch (e) {
    throw new SubcloneError('MissingData', `cannot read the text data ${file}: ${errorMessage(e)}`, { cause: e });
  }
}

function readBytes(file: string, position: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    readRange(fd, out, position, length, file);
    return out;
  } catch (e) {
    throw new SubcloneError('MissingData', `cannot read the text data ${file}: ${errorMessage(e)}`, { cause: e });
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
