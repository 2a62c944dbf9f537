import * as fs from 'node:fs';
import { SubcloneError, errorMessage, throwIfAborted } from '../errors';
import { readRange } from '../onnx/fileBytes';
import type { TokenRange } from './byteText';
import { heldOutSplit } from './textData';

/** From this size on, a text read with a real tokenizer is sampled by range instead of tokenized whole. */
export const SAMPLED_TEXT_MIN_BYTES = 64 * 2 ** 20;

/** The first read of a window, in bytes per token wanted (English BPE averages about 4); doubled while short. */
const BYTES_PER_TOKEN_GUESS = 6;

/** How far a window's start looks for a line start before settling for a word start. */
const BOUNDARY_SEARCH = 4096;

/** A text file split as loadTextTokens splits it, whose parts give windows tokenized when asked for. */
export interface SampledText {
  splitByte: number;
  totalBytes: number;
  /** Windows from the training part (the file up to splitByte) or the held-out tail. */
  windows(part: 'train' | 'validation', count: number, length: number, options?: WindowProgress): TokenRange & { maxId(): number };
}

interface WindowProgress {
  signal?: AbortSignal;
  /** (windows done, windows). */
  onProgress?: (done: number, total: number) => void;
}

/** A text of any size, tokenized by `encode` only where windows are taken; the held-out tail is its last `validationFraction` of bytes. */
export function sampledText(file: string, encode: (text: string) => number[], validationFraction: number): SampledText {
  let size: number;
  let fd: number | undefined;
  let split: number;
  try {
    fd = fs.openSync(file, 'r');
    size = fs.fstatSync(fd).size;
    const at = fd;
    split = heldOutSplit(size, validationFraction, (i) => read(at, file, i, 1)[0]);
  } catch (e) {
    if (e instanceof SubcloneError) throw e;
    throw new SubcloneError('MissingData', `cannot read the text data ${file}: ${errorMessage(e)}`, { cause: e });
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  return {
    splitByte: split,
    totalBytes: size,
    windows: (part, count, length, options = {}) =>
      sampledWindows(file, { ...(part === 'train' ? { from: 0, to: split } : { from: split, to: size }), windows: count, length, encode, ...options }),
  };
}

interface SampledWindowsOptions extends WindowProgress {
  /** The part of the file to sample: bytes [from, to). */
  from: number;
  to: number;
  windows: number;
  /** Tokens per window. */
  length: number;
  encode: (text: string) => number[];
}

/**
 * `windows` windows of `length` tokens spread evenly over bytes [from, to) of a text file, tokenizing only the bytes
 * each window needs, so a corpus of gigabytes costs the windows read, not the file. Window k starts at the first
 * line start (a newline followed by a non-space character) at or after from + k·(to − from)/windows, or failing one
 * nearby at a word start, and reads forward until it holds `length` tokens; its text ends before a space or a
 * newline, so no word is cut where pre-tokenizers would not cut it. The windows come back as one stretch of
 * windows × length ids, window k at k · length.
 */
function sampledWindows(file: string, o: SampledWindowsOptions): TokenRange & { maxId(): number } {
  if (o.windows < 1 || o.length < 1) throw new RangeError(`sampledWindows needs at least one window of one token (got ${o.windows} × ${o.length})`);
  const ids = new Int32Array(o.windows * o.length);
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const stride = (o.to - o.from) / o.windows;
    for (let k = 0; k < o.windows; k++) {
      throwIfAborted(o.signal);
      const start = windowStart(fd, file, Math.floor(o.from + k * stride), o.to);
      ids.set(windowTokens(fd, file, start, o), k * o.length);
      o.onProgress?.(k + 1, o.windows);
    }
  } catch (e) {
    if (e instanceof SubcloneError || e instanceof RangeError) throw e;
    throw new SubcloneError('MissingData', `cannot read the text data ${file}: ${errorMessage(e)}`, { cause: e });
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  let max: number | undefined;
  return {
    length: ids.length,
    read(start, count) {
      if (start < 0 || count < 0 || start + count > ids.length) throw new RangeError(`tokens ${start}…${start + count} outside 0…${ids.length}`);
      return ids.subarray(start, start + count);
    },
    maxId: () => (max ??= ids.reduce((m, id) => (id > m ? id : m), -1)),
  };
}

/** The first line start at or after `at` (within BOUNDARY_SEARCH bytes), else the first space or newline there. */
function windowStart(fd: number, file: string, at: number, to: number): number {
  if (at === 0) return 0;
  const n = Math.min(BOUNDARY_SEARCH, to - at);
  const bytes = read(fd, file, at - 1, n + 1);
  for (let i = 1; i < bytes.length; i++) if (bytes[i - 1] === 0x0a && !isSpace(bytes[i])) return at - 1 + i;
  for (let i = 1; i < bytes.length; i++) if (isSpace(bytes[i])) return at - 1 + i;
  // One unbroken run of characters: start on a character boundary.
  let i = 1;
  while (i < bytes.length && (bytes[i] & 0xc0) === 0x80) i++;
  return at - 1 + i;
}

/** `o.length` token ids of the text from byte `start`, reading more while they are short. */
function windowTokens(fd: number, file: string, start: number, o: SampledWindowsOptions): number[] {
  let span = o.length * BYTES_PER_TOKEN_GUESS;
  for (;;) {
    const end = Math.min(o.to, start + span);
    const bytes = read(fd, file, start, end - start);
    const text = new TextDecoder().decode(end < o.to ? bytes.subarray(0, lastCut(bytes)) : bytes);
    const tokens = o.encode(text);
    if (tokens.length >= o.length) return tokens.slice(0, o.length);
    if (end >= o.to) {
      throw new SubcloneError('MissingData', `${file} has ${tokens.length} tokens from byte ${start} to byte ${o.to}, fewer than one window of ${o.length}: give a longer text or fewer tokens per sequence`);
    }
    span *= 2;
  }
}

/** Where to end a chunk read from the middle of the file: before its last space or newline (a whole word). */
function lastCut(bytes: Uint8Array): number {
  for (let i = bytes.length - 1; i > bytes.length / 2; i--) if (isSpace(bytes[i])) return i;
  let i = bytes.length;
  while (i > 0 && (bytes[i - 1] & 0xc0) === 0x80) i--;
  return Math.max(0, i - 1);
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function read(fd: number, file: string, position: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  readRange(fd, out, position, length, file);
  return out;
}
