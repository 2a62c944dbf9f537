import * as fs from 'node:fs';
import * as path from 'node:path';
import { SubcloneError } from '../errors';
import { BufferedFileWriter, assertWritable, writeFilesAtomically } from '../fs/atomicFile';
import { quote } from '../quote';
import {
  MAX_HEADER_BYTES,
  METADATA_KEY,
  SIZE_PREFIX_BYTES,
  compareForWriting,
  describeTensorType,
  isSafetensorsDtype,
  tensorByteLength,
  type SafetensorsDtype,
} from './format';

interface TensorHead {
  name: string;
  dtype: SafetensorsDtype;
  shape: readonly number[];
}

/** A tensor to write whose bytes (little-endian, C order) are in memory. */
export interface TensorFromBytes extends TensorHead {
  bytes: Uint8Array;
}

/** A tensor to write whose bytes are streamed, e.g. from another file; the chunks must add up to `byteLength`. */
export interface TensorFromChunks extends TensorHead {
  byteLength: number;
  chunks: () => Iterable<Uint8Array>;
}

export type SafetensorsTensor = TensorFromBytes | TensorFromChunks;

export interface SafetensorsWriteOptions {
  /** Replace an existing file (default false). */
  overwrite?: boolean;
}

/** What a file will hold, checked: the header as written and the tensors in their order in the file. */
export interface SafetensorsLayout {
  /** The size prefix and the header, padded with spaces to a multiple of 8. */
  head: Uint8Array;
  tensors: SafetensorsTensor[];
  fileBytes: number;
}

export function tensorBytes(t: SafetensorsTensor): number {
  return 'bytes' in t ? t.bytes.length : t.byteLength;
}

/**
 * Writes a safetensors file as the reference implementation does: tensors ordered by dtype (widest first) then
 * name, the header compact JSON with "__metadata__" first, padded with spaces to a multiple of 8 bytes. Atomic: a
 * temporary sibling renamed onto `target` only when every byte is written.
 */
export function writeSafetensors(
  target: string,
  tensors: readonly SafetensorsTensor[],
  metadata?: Readonly<Record<string, string>>,
  options: SafetensorsWriteOptions = {},
): void {
  const file = path.resolve(target);
  const layout = layoutSafetensors(tensors, metadata, file);
  assertWritable(file, options.overwrite ?? false);
  writeFilesAtomically([file], ([temp]) => writeLayout(temp, layout, file));
}

/** Checks the tensors (known dtypes, byte lengths that match the shapes, unique names) and lays out the file. */
export function layoutSafetensors(
  tensors: readonly SafetensorsTensor[],
  metadata: Readonly<Record<string, string>> | undefined,
  file: string,
): SafetensorsLayout {
  const names = new Set<string>();
  for (const t of tensors) {
    checkTensor(t, file);
    if (names.has(t.name)) throw new SubcloneError('BadArgument', `${file}: two tensors are named ${quote(t.name)}`);
    names.add(t.name);
  }
  const ordered = [...tensors].sort(compareForWriting);
  const entries: string[] = [];
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new SubcloneError('BadArgument', `${file}: metadata ${quote(k)} is not a string`);
      if (LONE_SURROGATE.test(k) || LONE_SURROGATE.test(v)) throw new SubcloneError('BadArgument', `${file}: metadata ${quote(k)} is not valid Unicode (a lone surrogate)`);
    }
    entries.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  for (const t of ordered) {
    const end = offset + tensorBytes(t);
    entries.push(`${JSON.stringify(t.name)}:${JSON.stringify({ dtype: t.dtype, shape: t.shape, data_offsets: [offset, end] })}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${entries.join(',')}}`);
  const headerSize = Math.ceil(json.length / 8) * 8;
  if (headerSize > MAX_HEADER_BYTES) {
    throw new SubcloneError('BadArgument', `${file}: the header would be ${headerSize} bytes, more than the ${MAX_HEADER_BYTES} safetensors allows`);
  }
  const head = new Uint8Array(SIZE_PREFIX_BYTES + headerSize).fill(0x20);
  new DataView(head.buffer).setBigUint64(0, BigInt(headerSize), true);
  head.set(json, SIZE_PREFIX_BYTES);
  return { head, tensors: ordered, fileBytes: head.length + offset };
}

/** Writes a laid-out file to `temp` (not atomic by itself); `file` is the name messages use. */
export function writeLayout(temp: string, layout: SafetensorsLayout, file: string): void {
  const fd = fs.openSync(temp, 'w');
  try {
    const w = new BufferedFileWriter(fd);
    w.write(layout.head);
    for (const t of layout.tensors) {
      if ('bytes' in t) {
        w.write(t.bytes);
        continue;
      }
      let given = 0;
      for (const chunk of t.chunks()) {
        given += chunk.length;
        if (given > t.byteLength) break;
        w.write(chunk);
      }
      if (given !== t.byteLength) {
        const gave = given > t.byteLength ? 'more' : `only ${given}`;
        throw new SubcloneError('BadArgument', `${file}: tensor ${quote(t.name)} declared ${t.byteLength} bytes, but its chunks gave ${gave}`);
      }
    }
    w.flush();
    if (w.position !== layout.fileBytes) throw new Error(`${file}: wrote ${w.position} bytes, expected ${layout.fileBytes}`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

// Strings a UTF-8 header cannot hold: serde_json refuses the escape JSON.stringify would write for them.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function checkTensor(t: SafetensorsTensor, file: string): void {
  const where = `${file}: tensor ${quote(t.name)}`;
  if (t.name === METADATA_KEY) throw new SubcloneError('BadArgument', `${file}: a tensor may not be named ${quote(METADATA_KEY)}, the header's metadata key`);
  if (LONE_SURROGATE.test(t.name)) throw new SubcloneError('BadArgument', `${where}: the name is not valid Unicode (a lone surrogate)`);
  if (!isSafetensorsDtype(t.dtype)) throw new SubcloneError('BadArgument', `${where} has the unknown dtype ${quote(String(t.dtype))}`);
  for (const d of t.shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new SubcloneError('BadArgument', `${where}: shape [${t.shape.join(', ')}] holds ${d}, not a whole number ≥ 0`);
  }
  const given = tensorBytes(t);
  if (!Number.isSafeInteger(given) || given < 0) throw new SubcloneError('BadArgument', `${where}: byteLength ${given} is not a byte count`);
  const needed = tensorByteLength(t.dtype, t.shape);
  const type = describeTensorType(t.dtype, t.shape);
  if (needed === undefined) throw new SubcloneError('BadArgument', `${where}: ${type} is not a whole number of bytes`);
  if (given !== needed) throw new SubcloneError('ShapeMismatch', `${where} has ${given} bytes, but ${type} needs ${needed}`);
}
