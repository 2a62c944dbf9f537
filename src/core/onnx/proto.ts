/**
 * The ONNX protobuf schema (ONNX 1.20, compiled for @bufbuild/protobuf by the `onnx-buf` package). Only the
 * reader and writer in this folder encode or decode; everything else works on these plain message objects.
 */
export {
  AttributeProtoSchema,
  AttributeProto_AttributeType as AttributeType,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  StringStringEntryProtoSchema,
  TensorProtoSchema,
  TensorProto_DataLocation as DataLocation,
  TensorShapeProtoSchema,
  TensorShapeProto_DimensionSchema,
  TypeProtoSchema,
  TypeProto_TensorSchema,
  ValueInfoProtoSchema,
  OperatorSetIdProtoSchema,
} from 'onnx-buf';
export type {
  AttributeProto,
  GraphProto,
  ModelProto,
  NodeProto,
  StringStringEntryProto,
  TensorProto,
  TensorShapeProto,
  TypeProto,
  ValueInfoProto,
  OperatorSetIdProto,
} from 'onnx-buf';

/**
 * Clears a proto2 field with explicit presence in an object literal: @bufbuild/protobuf treats a field as set when
 * it is an own property that is not undefined, so `{ ...t, rawData: UNSET }` writes no raw_data at all.
 */
export const UNSET = undefined as never;
