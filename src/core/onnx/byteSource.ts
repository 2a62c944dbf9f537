import { readRange } from './fileBytes';

/**
 * Random access to a model's bytes for the wire-format walkers: a buffer in memory, or a file read through a
 * window so that a walk which skips payloads by length reads only the bytes around the tags.
 */
export interface ByteSource {
  readonly length: number;
  /** The byte at `pos` (0 ≤ pos < length). */
  at(pos: number): number;
  /** A copy of bytes [start, end). */
  copy(start: number, end: number): Uint8Array;
}

export function bufferSource(bytes: Uint8Array): ByteSource {
  return {
    length: bytes.length,
    at: (pos) => bytes[pos],
    copy: (start, end) => bytes.slice(start, end),
  };
}

const WINDOW = 1024 * 1024;

/** A file read through one sliding window; `copy` of a range outside the window reads it directly. */
export class FileWindow implements ByteSource {
  private readonly window: Buffer;
  private start = 0;
  private filled = 0;

  constructor(
    private readonly fd: number,
    readonly length: number,
    private readonly file: string,
    windowBytes = WINDOW,
  ) {
    this.window = Buffer.allocUnsafe(Math.max(1, Math.min(windowBytes, length)));
  }

  at(pos: number): number {
    const i = pos - this.start;
    if (i >= 0 && i < this.filled) return this.window[i];
    this.fill(pos);
    return this.window[0];
  }

  copy(start: number, end: number): Uint8Array {
    const out = new Uint8Array(end - start);
    if (start >= this.start && end <= this.start + this.filled) {
      out.set(this.window.subarray(start - this.start, end - this.start));
    } else {
      readRange(this.fd, out, start, end - start, this.file);
    }
    return out;
  }

  private fill(pos: number): void {
    const n = Math.min(this.window.length, this.length - pos);
    readRange(this.fd, this.window.subarray(0, n), pos, n, this.file);
    this.start = pos;
    this.filled = n;
  }
}
