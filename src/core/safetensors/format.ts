import { SubcloneError } from '../errors';
import { DataType, dataTypeName, type DataTypeCode } from '../onnx/dataType';
import { quote } from '../quote';
import { NonIntegerLiteral, StrictJsonError, parseStrictJson, type StrictJson } from './strictJson';

/**
 * Bits per element of every dtype the reference implementation knows, in the order of its `Dtype` enum (increasing
 * alignment). That order is part of the format in practice: writers put tensors of later dtypes first.
 */
const DTYPE_BITS = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
} as const;

export type SafetensorsDtype = keyof typeof DTYPE_BITS;

const DTYPE_RANK = new Map(Object.keys(DTYPE_BITS).map((d, i) => [d, i]));

const ONNX_TYPES: [SafetensorsDtype, DataTypeCode][] = [
  ['F32', DataType.FLOAT],
  ['F16', DataType.FLOAT16],
  ['BF16', DataType.BFLOAT16],
  ['F64', DataType.DOUBLE],
  ['I64', DataType.INT64],
  ['I32', DataType.INT32],
  ['I16', DataType.INT16],
  ['I8', DataType.INT8],
  ['U8', DataType.UINT8],
  ['BOOL', DataType.BOOL],
  ['U16', DataType.UINT16],
  ['U32', DataType.UINT32],
  ['U64', DataType.UINT64],
  ['C64', DataType.COMPLEX64],
];

/** The largest header the reference implementation reads. */
export const MAX_HEADER_BYTES = 100_000_000;
/** The little-endian u64 header size before the header. */
export const SIZE_PREFIX_BYTES = 8;
export const METADATA_KEY = '__metadata__';

/** One tensor of a safetensors file; `begin` and `end` are absolute file offsets. */
export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  /** File offset of the byte buffer (8 + the header size). */
  dataStart: number;
  /** In file order (by offset). */
  tensors: SafetensorsEntry[];
  /** The header's "__metadata__", undefined when it has none. */
  metadata: Record<string, string> | undefined;
}

export function isSafetensorsDtype(name: string): name is SafetensorsDtype {
  return DTYPE_RANK.has(name);
}

export function dtypeBits(dtype: SafetensorsDtype): number {
  return DTYPE_BITS[dtype];
}

/** Bytes a tensor of this dtype and shape takes, or undefined when its bits are not a whole number of bytes. */
export function tensorByteLength(dtype: SafetensorsDtype, shape: readonly number[]): number | undefined {
  const bits = shape.reduce((n, d) => n * BigInt(d), 1n) * BigInt(DTYPE_BITS[dtype]);
  return bits % 8n === 0n ? Number(bits / 8n) : undefined;
}

/** The order writers put tensors in: later dtypes of the reference's enum first, then by name. */
export function compareForWriting(a: { dtype: SafetensorsDtype; name: string }, b: { dtype: SafetensorsDtype; name: string }): number {
  const rank = DTYPE_RANK.get(b.dtype)! - DTYPE_RANK.get(a.dtype)!;
  if (rank) return rank;
  return compareByCodePoint(a.name, b.name);
}

/** Orders strings as Rust and Python do, by code point; JavaScript's `<` compares UTF-16 units, which differs above U+FFFF. */
export function compareByCodePoint(a: string, b: string): number {
  return compareBytes(encoder.encode(a), encoder.encode(b));
}

export function toOnnxDataType(dtype: SafetensorsDtype): DataTypeCode {
  const found = ONNX_TYPES.find(([d]) => d === dtype);
  if (!found) throw new SubcloneError('Unsupported', `safetensors dtype ${dtype} has no ONNX data type here`);
  return found[1];
}

export function fromOnnxDataType(dataType: DataTypeCode): SafetensorsDtype {
  const found = ONNX_TYPES.find(([, t]) => t === dataType);
  if (!found) throw new SubcloneError('Unsupported', `ONNX type ${dataTypeName(dataType)} has no safetensors dtype here`);
  return found[0];
}

/** "F32 [5, 6]" */
export function describeTensorType(dtype: string, shape: readonly number[]): string {
  return `${dtype} [${shape.join(', ')}]`;
}

/**
 * The header size from a file's first 8 bytes, checked against the reference's limit and the file's size.
 */
export function headerByteLength(prefix: Uint8Array, fileSize: number, file: string): number {
  if (fileSize < SIZE_PREFIX_BYTES || prefix.length < SIZE_PREFIX_BYTES) {
    throw new SubcloneError('BadModel', `${file} is ${fileSize} bytes, too short for a safetensors file (it starts with an 8-byte header size)`);
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, SIZE_PREFIX_BYTES).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new SubcloneError('BadModel', `${file}: the header size is ${n} bytes, more than the ${MAX_HEADER_BYTES} a safetensors header may have; this is not a safetensors file`);
  }
  const size = Number(n);
  if (SIZE_PREFIX_BYTES + size > fileSize) {
    throw new SubcloneError('BadModel', `${file}: the header size is ${size} bytes, but the file has only ${fileSize - SIZE_PREFIX_BYTES} after the size; it is truncated or not a safetensors file`);
  }
  return size;
}

/**
 * Parses and validates a safetensors header. `bytes` are the file's first bytes, at least the size prefix and the
 * header; `fileSize` is the whole file's. Enforces every rule the reference reader does: the size limit, UTF-8 JSON
 * starting with '{' and padded only with spaces, no key twice, known dtypes, shapes and offsets that are whole
 * numbers, each tensor's byte length matching its shape, and tensors covering the byte buffer exactly.
 */
export function parseHeader(bytes: Uint8Array, fileSize: number, file: string): SafetensorsHeader {
  const size = headerByteLength(bytes, fileSize, file);
  if (bytes.length < SIZE_PREFIX_BYTES + size) throw new RangeError(`parseHeader needs the first ${SIZE_PREFIX_BYTES + size} bytes, given ${bytes.length}`);
  const dataStart = SIZE_PREFIX_BYTES + size;
  const root = parseHeaderJson(bytes.subarray(SIZE_PREFIX_BYTES, dataStart), file);

  let metadata: Record<string, string> | undefined;
  const tensors: SafetensorsEntry[] = [];
  for (const [key, value] of root) {
    if (key === METADATA_KEY) metadata = parseMetadata(value, file);
    else tensors.push(parseTensorInfo(key, value, dataStart, file));
  }
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  checkCoverage(tensors, dataStart, fileSize, file);
  return { dataStart, tensors, metadata };
}

function parseHeaderJson(header: Uint8Array, file: string): Map<string, StrictJson> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(header);
  } catch {
    throw new SubcloneError('BadModel', `${file}: the header is not UTF-8 text; this is not a safetensors file`);
  }
  if (!text.startsWith('{')) {
    throw new SubcloneError('BadModel', `${file}: the header does not start with '{'; this is not a safetensors file`);
  }
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x20) end--;
  if (text[end - 1] !== '}') {
    throw new SubcloneError('BadModel', `${file}: the header does not end with '}' (only spaces may follow it); it is not valid safetensors JSON`);
  }
  try {
    return parseStrictJson(text.slice(0, end)) as Map<string, StrictJson>;
  } catch (e) {
    if (!(e instanceof StrictJsonError)) throw e;
    throw new SubcloneError('BadModel', `${file}: the header is not valid JSON (${e.message})`, { cause: e });
  }
}

function parseMetadata(value: StrictJson, file: string): Record<string, string> {
  if (!(value instanceof Map)) throw new SubcloneError('BadModel', `${file}: ${quote(METADATA_KEY)} is ${shown(value)}, not an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of value) {
    if (typeof v !== 'string') throw new SubcloneError('BadModel', `${file}: ${quote(METADATA_KEY)} entry ${quote(k)} is ${shown(v)}; metadata values must be strings`);
    // defineProperty, not `out[k] = v`: the key "__proto__" would be dropped.
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function parseTensorInfo(name: string, value: StrictJson, dataStart: number, file: string): SafetensorsEntry {
  const where = `${file}: tensor ${quote(name)}`;
  if (!(value instanceof Map)) throw new SubcloneError('BadModel', `${where} is ${shown(value)}, not an object with dtype, shape and data_offsets`);
  const dtype = value.get('dtype');
  if (typeof dtype !== 'string') throw new SubcloneError('BadModel', `${where} has ${dtype === undefined ? 'no dtype' : `the dtype ${shown(dtype)}, not a string`}`);
  if (!isSafetensorsDtype(dtype)) throw new SubcloneError('BadModel', `${where} has the unknown dtype ${quote(dtype)}`);
  const shape = counts(value.get('shape'), `${where}: shape`);
  const offsets = counts(value.get('data_offsets'), `${where}: data_offsets`);
  if (offsets.length !== 2) throw new SubcloneError('BadModel', `${where}: data_offsets must be [begin, end], found ${shown(value.get('data_offsets')!)}`);
  const [begin, end] = offsets;
  if (end < begin) throw new SubcloneError('BadModel', `${where}: data_offsets [${begin}, ${end}] end before they begin`);
  const needed = tensorByteLength(dtype, shape);
  const type = describeTensorType(dtype, shape);
  if (needed === undefined) throw new SubcloneError('BadModel', `${where}: ${type} is not a whole number of bytes`);
  if (end - begin !== needed) throw new SubcloneError('BadModel', `${where} holds ${end - begin} bytes, but ${type} needs ${needed}`);
  return { name, dtype, shape, begin: dataStart + begin, end: dataStart + end };
}

/** A JSON array of whole numbers ≥ 0 that fit a double exactly (no file is larger). */
function counts(value: StrictJson | undefined, what: string): number[] {
  if (value === undefined) throw new SubcloneError('BadModel', `${what} is missing`);
  if (!Array.isArray(value)) throw new SubcloneError('BadModel', `${what} is ${shown(value)}, not a list`);
  for (const v of value) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || Object.is(v, -0)) {
      throw new SubcloneError('BadModel', `${what} holds ${shown(v)}, not a whole number ≥ 0`);
    }
  }
  return value as number[];
}

/** Tensors sorted by offset must tile the byte buffer: the first begins at 0, each where the last ended, the last at its end. */
function checkCoverage(sorted: SafetensorsEntry[], dataStart: number, fileSize: number, file: string): void {
  let at = dataStart;
  let previous: SafetensorsEntry | undefined;
  for (const t of sorted) {
    const offsets = `data_offsets [${t.begin - dataStart}, ${t.end - dataStart}]`;
    if (t.begin > at) {
      throw new SubcloneError('BadModel', `${file}: bytes ${at - dataStart}…${t.begin - dataStart} of the data belong to no tensor (a hole before tensor ${quote(t.name)}, ${offsets})`);
    }
    if (t.begin < at) {
      throw new SubcloneError('BadModel', `${file}: tensor ${quote(t.name)} (${offsets}) overlaps tensor ${quote(previous!.name)}, which ends at ${at - dataStart}`);
    }
    if (t.end > fileSize) {
      throw new SubcloneError('BadModel', `${file} is truncated: tensor ${quote(t.name)} ends at byte ${t.end} of the file, but the file has ${fileSize}`);
    }
    at = t.end;
    previous = t;
  }
  if (at < fileSize) {
    throw new SubcloneError('BadModel', `${file}: its last ${fileSize - at} bytes belong to no tensor (the tensors end at byte ${at}); the data must be fully covered`);
  }
}

function shown(v: StrictJson): string {
  if (v instanceof NonIntegerLiteral) return v.text;
  if (v instanceof Map) return 'an object';
  return JSON.stringify(v);
}

const encoder = new TextEncoder();

/** UTF-8 byte order is code point order. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
