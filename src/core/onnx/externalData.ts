import * as fs from 'node:fs';
import * as path from 'node:path';
import { SubcloneError, errorLine } from '../errors';
import { quote } from '../quote';
import { readRange } from './fileBytes';
import { DataLocation, type TensorProto } from './proto';

/** Where an external tensor's bytes live: a file inside the model's folder and a byte range in it. */
export interface ExternalRef {
  /** The location string as written in the model (relative to the model's folder). */
  location: string;
  /** Absolute path, checked to stay inside the model's folder. */
  file: string;
  offset: number;
  /** Undefined means "to the end of the file" (allowed by the ONNX spec). */
  length: number | undefined;
}

export function isExternal(t: TensorProto): boolean {
  return t.dataLocation === DataLocation.EXTERNAL;
}

/** Parses a tensor's external_data entries and resolves the file against the model's folder. */
export function externalRef(t: TensorProto, baseDir: string): ExternalRef {
  const entries = new Map(t.externalData.map((e) => [e.key, e.value]));
  const location = entries.get('location');
  if (!location) throw new SubcloneError('BadModel', `initializer ${quote(t.name)} is marked external but has no location`);
  if (path.isAbsolute(location) || path.win32.isAbsolute(location)) {
    throw new SubcloneError('BadModel', `initializer ${quote(t.name)}: external data path ${quote(location)} is absolute; it must be relative to the model's folder`);
  }
  const file = path.resolve(baseDir, location);
  const rel = path.relative(path.resolve(baseDir), file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new SubcloneError('BadModel', `initializer ${quote(t.name)}: external data path ${quote(location)} escapes the model's folder ${baseDir}`);
  }
  const offset = parseCount(entries.get('offset') ?? '0', t.name, 'offset');
  const lengthText = entries.get('length');
  return { location, file, offset, length: lengthText === undefined ? undefined : parseCount(lengthText, t.name, 'length') };
}

function parseCount(text: string, tensor: string, key: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new SubcloneError('BadModel', `initializer ${quote(tensor)}: external data ${key} ${quote(text)} is not a byte count`);
  }
  return n;
}

/**
 * Open handles on a model's external data files, shared by all of its tensors: each file is opened once and read
 * by range. Call close() when the model is no longer needed.
 */
export class ExternalFiles {
  private readonly handles = new Map<string, { fd: number; size: number }>();

  constructor(private readonly baseDir: string) {}

  /** Takes over an open handle on `file` (closed by close()). */
  adopt(file: string, fd: number, size: number): void {
    this.handles.set(path.resolve(file), { fd, size });
  }

  /** Checks that the file exists and holds the tensor's whole byte range; returns the range's length. */
  check(t: TensorProto): number {
    const ref = externalRef(t, this.baseDir);
    const h = this.open(ref, t.name);
    const length = ref.length ?? h.size - ref.offset;
    if (ref.offset + length > h.size) {
      throw new SubcloneError(
        'MissingData',
        `external data file ${quote(ref.location)} is ${h.size} bytes, but initializer ${quote(t.name)} needs bytes ` +
          `${ref.offset}..${ref.offset + length} (truncated or wrong file?)`,
      );
    }
    return length;
  }

  /** Reads the tensor's bytes (a fresh buffer). */
  read(t: TensorProto): Buffer {
    const ref = externalRef(t, this.baseDir);
    const length = this.check(t);
    const out = Buffer.allocUnsafe(length);
    readRange(this.open(ref, t.name).fd, out, ref.offset, length, ref.file);
    return out;
  }

  /** Streams the tensor's bytes in chunks, without holding it whole. */
  *chunks(t: TensorProto, chunkSize = 16 * 1024 * 1024): Generator<Uint8Array> {
    const ref = externalRef(t, this.baseDir);
    const length = this.check(t);
    const fd = this.open(ref, t.name).fd;
    const buf = Buffer.allocUnsafe(Math.min(chunkSize, Math.max(length, 1)));
    for (let done = 0; done < length; ) {
      const n = Math.min(buf.length, length - done);
      readRange(fd, buf.subarray(0, n), ref.offset + done, n, ref.file);
      yield buf.subarray(0, n);
      done += n;
    }
  }

  close(): void {
    for (const h of this.handles.values()) fs.closeSync(h.fd);
    this.handles.clear();
  }

  private open(ref: ExternalRef, tensor: string): { fd: number; size: number } {
    let h = this.handles.get(ref.file);
    if (h) return h;
    try {
      const fd = fs.openSync(ref.file, 'r');
      h = { fd, size: fs.fstatSync(fd).size };
    } catch (e) {
      throw new SubcloneError(
        'MissingData',
        `external data file ${quote(ref.location)} for initializer ${quote(tensor)} cannot be read (${errorLine(e)}); ` +
          `it must sit in ${this.baseDir} next to the model`,
        { cause: e },
      );
    }
    this.handles.set(ref.file, h);
    return h;
  }
}
