import { create } from '@bufbuild/protobuf';
import { DataType, dataTypeName } from '../onnx/dataType';
import { TypeProtoSchema, ValueInfoProtoSchema, type ValueInfoProto } from '../onnx/proto';

/** The static shape and element type of one value of a graph specialised to fixed input shapes. */
export interface TensorInfo {
  dims: number[];
  /** ONNX TensorProto.DataType code. */
  elem: number;
}

export type InfoMap = Map<string, TensorInfo>;

/** True for the element types gradients flow through. */
export function isDifferentiableType(elem: number): boolean {
  return elem === DataType.FLOAT || elem === DataType.DOUBLE || elem === DataType.FLOAT16 || elem === DataType.BFLOAT16;
}

/** The ONNX type code for an onnxruntime tensor type name. */
export function elemFromOrtType(type: string): number {
  switch (type) {
    case 'float32': return DataType.FLOAT;
    case 'float64': return DataType.DOUBLE;
    case 'float16': return DataType.FLOAT16;
    case 'int64': return DataType.INT64;
    case 'int32': return DataType.INT32;
    case 'int16': return DataType.INT16;
    case 'int8': return DataType.INT8;
    case 'uint8': return DataType.UINT8;
    case 'uint16': return DataType.UINT16;
    case 'uint32': return DataType.UINT32;
    case 'uint64': return DataType.UINT64;
    case 'bool': return DataType.BOOL;
    case 'string': return DataType.STRING;
    default: return -1;
  }
}

export function describeInfo(info: TensorInfo): string {
  return `${dataTypeName(info.elem)}[${info.dims.join(', ')}]`;
}

export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Normalises a possibly negative axis against a rank. */
export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** A graph input/output declaration with a fully static shape. */
export function valueInfoProto(name: string, info: TensorInfo): ValueInfoProto {
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: 'tensorType',
        value: { elemType: info.elem, shape: { dim: info.dims.map((d) => ({ value: { case: 'dimValue' as const, value: BigInt(d) } })) } },
      },
    }),
  });
}
