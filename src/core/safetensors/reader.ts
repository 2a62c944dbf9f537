import * as fs from 'node:fs';
import { SubcloneError } from '../errors';
import { formatBytes, openFileForReading, readRange } from '../onnx/fileBytes';
import { quote } from '../quote';
import { SIZE_PREFIX_BYTES, headerByteLength, parseHeader, type SafetensorsEntry } from './format';

const DEFAULT_CHUNK_BYTES = 64 * 1024 * 1024;
const MAX_CHUNK_BYTES = 1024 * 1024 * 1024;

/** An open safetensors file: its validated header in memory, tensor bytes read by range when asked for. */
export interface SafetensorsFile {
  readonly file: string;
  readonly size: number;
  /** File offset of the byte buffer. */
  readonly dataStart: number;
  /** In file order. */
  readonly tensors: readonly SafetensorsEntry[];
  readonly metadata: Readonly<Record<string, string>> | undefined;
  has(name: string): boolean;
  /** Throws MissingData when the file has no such tensor. */
  entry(name: string): SafetensorsEntry;
  /** A tensor's bytes, little-endian, C order. */
  readBytes(name: string): Uint8Array;
  /** `length` bytes of a tensor from its byte `start`. */
  readSlice(name: string, start: number, length: number): Uint8Array;
  /** A tensor's bytes in pieces of at most `chunkBytes` (default 64 MiB, at most 1 GiB), each a fresh array. */
  chunks(name: string, chunkBytes?: number): Generator<Uint8Array>;
  close(): void;
}

/** Opens a safetensors file and validates its header; the caller closes it. Nothing but the header is read here. */
export function openSafetensors(file: string): SafetensorsFile {
  const { fd, size } = openFileForReading(file, () => `${file} is a folder, not a .safetensors file`);
  try {
    const prefix = new Uint8Array(Math.min(SIZE_PREFIX_BYTES, size));
    readRange(fd, prefix, 0, prefix.length, file);
    const headerBytes = new Uint8Array(SIZE_PREFIX_BYTES + headerByteLength(prefix, size, file));
    readRange(fd, headerBytes, 0, headerBytes.length, file);
    const header = parseHeader(headerBytes, size, file);
    return new OpenSafetensorsFile(file, fd, size, header.dataStart, header.tensors, header.metadata);
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

class OpenSafetensorsFile implements SafetensorsFile {
  private readonly byName: Map<string, SafetensorsEntry>;
  private closed = false;

  constructor(
    readonly file: string,
    private readonly fd: number,
    readonly size: number,
    readonly dataStart: number,
    readonly tensors: readonly SafetensorsEntry[],
    readonly metadata: Readonly<Record<string, string>> | undefined,
  ) {
    this.byName = new Map(tensors.map((t) => [t.name, t]));
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  entry(name: string): SafetensorsEntry {
    const t = this.byName.get(name);
    if (!t) throw new SubcloneError('MissingData', `${this.file} has no tensor ${quote(name)}`);
    return t;
  }

  readBytes(name: string): Uint8Array {
    const t = this.entry(name);
    return this.read(t, t.begin, t.end - t.begin);
  }

  readSlice(name: string, start: number, length: number): Uint8Array {
    const t = this.entry(name);
    const size = t.end - t.begin;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(length) || start < 0 || length < 0 || start + length > size) {
      throw new RangeError(`bytes ${start}…${start + length} are outside tensor ${quote(name)}'s 0…${size}`);
    }
    return this.read(t, t.begin + start, length);
  }

  *chunks(name: string, chunkBytes = DEFAULT_CHUNK_BYTES): Generator<Uint8Array> {
    if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0) throw new RangeError(`chunkBytes must be a whole number > 0, not ${chunkBytes}`);
    const t = this.entry(name);
    const piece = Math.min(chunkBytes, MAX_CHUNK_BYTES);
    for (let at = t.begin; at < t.end; at += piece) yield this.read(t, at, Math.min(piece, t.end - at));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }

  private read(t: SafetensorsEntry, position: number, length: number): Uint8Array {
    if (this.closed) throw new Error(`${this.file} is closed`);
    let out: Uint8Array;
    try {
      out = new Uint8Array(length);
    } catch (e) {
      throw new SubcloneError('Unsupported', `tensor ${quote(t.name)} of ${this.file} is ${formatBytes(length)}, more than one buffer holds; read it in chunks`, { cause: e });
    }
    readRange(this.fd, out, position, length, this.file);
    return out;
  }
}
