import { SubcloneError } from '../errors';

/** ONNX TensorProto.DataType values. */
export const DataType = {
  /** Not a type: a tensor that says nothing of its elements. */
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
} as const;
export type DataTypeCode = number;

const NAMES: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
  17: 'float8e4m3fn',
  18: 'float8e4m3fnuz',
  19: 'float8e5m2',
  20: 'float8e5m2fnuz',
  21: 'uint4',
  22: 'int4',
  23: 'float4e2m1',
};

const BYTES: Record<number, number> = {
  1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 14: 8, 15: 16, 16: 2,
  17: 1, 18: 1, 19: 1, 20: 1,
};

export function dataTypeName(dt: number): string {
  return NAMES[dt] ?? `type#${dt}`;
}

/** Bytes per element; throws for types without a fixed byte size (string, 4-bit types). */
export function elementSize(dt: number): number {
  const n = BYTES[dt];
  if (n === undefined) throw new SubcloneError('Unsupported', `tensors of type ${dataTypeName(dt)} are not supported`);
  return n;
}

export function isFloatType(dt: number): boolean {
  return dt === DataType.FLOAT || dt === DataType.FLOAT16 || dt === DataType.BFLOAT16 || dt === DataType.DOUBLE;
}

/** The onnxruntime-common tensor type string for an ONNX data type. */
export function ortTypeName(dt: number): string {
  switch (dt) {
    case DataType.FLOAT: return 'float32';
    case DataType.FLOAT16: return 'float16';
    case DataType.DOUBLE: return 'float64';
    case DataType.INT64: return 'int64';
    case DataType.INT32: return 'int32';
    case DataType.INT8: return 'int8';
    case DataType.UINT8: return 'uint8';
    case DataType.BOOL: return 'bool';
    case DataType.INT16: return 'int16';
    case DataType.UINT16: return 'uint16';
    case DataType.UINT32: return 'uint32';
    case DataType.UINT64: return 'uint64';
    case DataType.STRING: return 'string';
    default: throw new SubcloneError('Unsupported', `no onnxruntime tensor type for ${dataTypeName(dt)}`);
  }
}
