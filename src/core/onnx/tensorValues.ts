import { SubcloneError } from '../errors';
import { quote } from '../quote';
import { DataType, dataTypeName, elementSize } from './dataType';
import { bfloat16ToFloat32, float16ToFloat32 } from './float16';
import type { TensorProto } from './proto';

/** A tensor's dims as plain numbers. */
export function tensorDims(t: TensorProto): number[] {
  return t.dims.map((d) => Number(d));
}

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/**
 * The little-endian bytes of a tensor stored in its typed fields (float_data, int32_data, …), the rare alternative
 * to raw_data. Returns undefined when the typed fields are empty.
 */
export function typedFieldBytes(t: TensorProto): Uint8Array | undefined {
  const dt = t.dataType;
  const count = elementCount(tensorDims(t));
  switch (dt) {
    case DataType.FLOAT:
    case DataType.COMPLEX64:
      return t.floatData.length ? u8(Float32Array.from(t.floatData)) : undefined;
    case DataType.DOUBLE:
    case DataType.COMPLEX128:
      return t.doubleData.length ? u8(Float64Array.from(t.doubleData)) : undefined;
    case DataType.INT64:
      return t.int64Data.length ? u8(BigInt64Array.from(t.int64Data)) : undefined;
    case DataType.UINT32:
      return t.uint64Data.length ? u8(Uint32Array.from(t.uint64Data, Number)) : undefined;
    case DataType.UINT64:
      return t.uint64Data.length ? u8(BigUint64Array.from(t.uint64Data)) : undefined;
    case DataType.INT32:
      return t.int32Data.length ? u8(Int32Array.from(t.int32Data)) : undefined;
    case DataType.INT16:
      return t.int32Data.length ? u8(Int16Array.from(t.int32Data)) : undefined;
    case DataType.UINT16:
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
      return t.int32Data.length ? u8(Uint16Array.from(t.int32Data)) : undefined;
    case DataType.INT8:
      return t.int32Data.length ? u8(Int8Array.from(t.int32Data)) : undefined;
    case DataType.UINT8:
    case DataType.BOOL:
      return t.int32Data.length ? Uint8Array.from(t.int32Data) : undefined;
    default:
      if (count === 0) return new Uint8Array(0);
      throw new SubcloneError('Unsupported', `tensor ${quote(t.name)}: typed-field storage of ${dataTypeName(dt)} is not supported`);
  }
}

function u8(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Checks that a tensor's payload (`length` bytes of its raw_data, typed fields or external data) holds exactly its elements. */
export function checkByteLength(t: TensorProto, length: number, payload = 'its data'): void {
  const expected = elementCount(tensorDims(t)) * elementSize(t.dataType);
  if (length !== expected) {
    throw new SubcloneError(
      'BadModel',
      `initializer ${quote(t.name)} (${dataTypeName(t.dataType)} [${tensorDims(t).join(', ')}]) should hold ${expected} bytes but ${payload} has ${length}`,
    );
  }
}

function tensorLabel(name: string | undefined): string {
  return name === undefined ? 'the tensor' : `tensor ${quote(name)}`;
}

/** A typed view on little-endian bytes: zero-copy when aligned, else a copy. */
function aligned<T>(bytes: Uint8Array, width: number, make: (b: ArrayBufferLike, off: number, n: number) => T): T {
  if (bytes.byteOffset % width === 0) return make(bytes.buffer, bytes.byteOffset, bytes.byteLength / width);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return make(copy.buffer, 0, bytes.byteLength / width);
}

/** Float values of a float tensor (float32 zero-copy where aligned; float16, bfloat16 and float64 converted). */
export function bytesToFloat32(dataType: number, bytes: Uint8Array, name?: string): Float32Array {
  switch (dataType) {
    case DataType.FLOAT:
      return aligned(bytes, 4, (b, o, n) => new Float32Array(b, o, n));
    case DataType.FLOAT16:
      return float16ToFloat32(aligned(bytes, 2, (b, o, n) => new Uint16Array(b, o, n)));
    case DataType.BFLOAT16:
      return bfloat16ToFloat32(aligned(bytes, 2, (b, o, n) => new Uint16Array(b, o, n)));
    case DataType.DOUBLE:
      return Float32Array.from(aligned(bytes, 8, (b, o, n) => new Float64Array(b, o, n)));
    default:
      throw new SubcloneError('Unsupported', `${tensorLabel(name)} is ${dataTypeName(dataType)}, expected a float tensor`);
  }
}

/** Integer values (int64, int32, int16, int8, uint8, bool, uint16, uint32) as numbers; for shape constants and ids. */
export function bytesToNumbers(dataType: number, bytes: Uint8Array, name?: string): number[] {
  switch (dataType) {
    case DataType.INT64:
      return Array.from(aligned(bytes, 8, (b, o, n) => new BigInt64Array(b, o, n)), Number);
    case DataType.UINT64:
      return Array.from(aligned(bytes, 8, (b, o, n) => new BigUint64Array(b, o, n)), Number);
    case DataType.INT32:
      return Array.from(aligned(bytes, 4, (b, o, n) => new Int32Array(b, o, n)));
    case DataType.UINT32:
      return Array.from(aligned(bytes, 4, (b, o, n) => new Uint32Array(b, o, n)));
    case DataType.INT16:
      return Array.from(aligned(bytes, 2, (b, o, n) => new Int16Array(b, o, n)));
    case DataType.UINT16:
      return Array.from(aligned(bytes, 2, (b, o, n) => new Uint16Array(b, o, n)));
    case DataType.INT8:
      return Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    case DataType.UINT8:
    case DataType.BOOL:
      return Array.from(bytes);
    case DataType.FLOAT:
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
    case DataType.DOUBLE:
      return Array.from(bytesToFloat32(dataType, bytes, name));
    default:
      throw new SubcloneError('Unsupported', `${tensorLabel(name)} is ${dataTypeName(dataType)}, which has no numeric reading`);
  }
}
