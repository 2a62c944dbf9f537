import { create } from '@bufbuild/protobuf';
import { SubcloneError } from '../errors';
import { DataType, dataTypeName } from '../onnx/dataType';
import { float32ToBfloat16, float32ToFloat16 } from '../onnx/float16';
import { OnnxModel } from '../onnx/onnxModel';
import { TensorProtoSchema, type TensorProto } from '../onnx/proto';
import { elementCount, tensorDims } from '../onnx/tensorValues';
import { quote } from '../quote';

/** A shallow copy of a protobuf message that keeps its prototype (so unset fields still read as their defaults). */
function patched<T extends object>(message: T, patch: Partial<T>): T {
  return Object.assign(Object.create(Object.getPrototypeOf(message) as object) as T, message, patch);
}

/**
 * The same model (same graph, same other initializers, same external data folder) with some initializers'
 * values replaced, each stored in its own element type. Nothing is copied for the initializers left alone.
 */
export function modelWithWeights(model: OnnxModel, values: ReadonlyMap<string, Float32Array>): OnnxModel {
  const seen = new Set<string>();
  const initializer = model.graph.initializer.map((t) => {
    const v = values.get(t.name);
    if (!v) return t;
    seen.add(t.name);
    return replaced(t, v);
  });
  const missing = [...values.keys()].filter((n) => !seen.has(n));
  if (missing.length) throw new SubcloneError('BadModel', `no initializer named ${quote(missing[0])} to write trained values into`);
  const graph = patched(model.graph, { initializer });
  return OnnxModel.fromProto(patched(model.proto, { graph }), model.baseDir, model.file);
}

function replaced(t: TensorProto, v: Float32Array): TensorProto {
  const dims = tensorDims(t);
  if (elementCount(dims) !== v.length) throw new SubcloneError('ShapeMismatch', `${v.length} values for ${quote(t.name)} [${dims}]`);
  return create(TensorProtoSchema, { name: t.name, dataType: t.dataType, dims: [...t.dims], rawData: encodeFloats(t, v) });
}

/** Float values as `t` stores them: its element type's little-endian bytes. */
export function encodeFloats(t: TensorProto, v: Float32Array): Uint8Array<ArrayBuffer> {
  switch (t.dataType) {
    case DataType.FLOAT: return new Uint8Array(Float32Array.from(v).buffer);
    case DataType.FLOAT16: return new Uint8Array(float32ToFloat16(v, new Uint16Array(v.length)).buffer as ArrayBuffer);
    case DataType.BFLOAT16: return new Uint8Array(float32ToBfloat16(v, new Uint16Array(v.length)).buffer as ArrayBuffer);
    case DataType.DOUBLE: return new Uint8Array(Float64Array.from(v).buffer);
    default: throw new SubcloneError('Unsupported', `cannot store float values in ${quote(t.name)} (${dataTypeName(t.dataType)})`);
  }
}
