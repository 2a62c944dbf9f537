import * as path from 'node:path';
import { create, fromBinary } from '@bufbuild/protobuf';
import { SubcloneError, errorMessage } from '../errors';
import type { ByteSource } from './byteSource';
import { GraphProtoSchema, ModelProtoSchema, StringStringEntryProtoSchema, TensorProtoSchema, DataLocation, type ModelProto } from './proto';
import { checkWireFormat, type WireField } from './wireCheck';

/** raw_data payloads at least this long stay in the file, read by range when used; shorter ones are decoded. */
export const IN_FILE_MIN_BYTES = 4096;

const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_RAW_DATA = 9;

/** The encoded fields of one initializer without its raw_data, and where its raw_data lies in the file. */
interface TensorParts {
  fields: Uint8Array[];
  raw: { offset: number; length: number } | undefined;
}

/**
 * Decodes a model file without loading its weights: one checked walk of the wire format (checkWireFormat) keeps
 * the encoded bytes of every field except the initializers' large raw_data payloads, which are recorded as byte
 * ranges. Each such initializer comes back as external data whose location is the model file itself, so every
 * reader of external data (this package's, onnxruntime's) reads it by range from the file, and memory holds the
 * graph, not the weights. Protobuf merges repeated occurrences of a message field, so concatenating the kept
 * fields of each message gives the same message as decoding the whole file.
 */
export function decodeModelFile(source: ByteSource, file: string): ModelProto {
  const modelFields: Uint8Array[] = [];
  const graphFields: Uint8Array[] = [];
  const tensors: TensorParts[] = [];
  checkWireFormat(source, file, (outer: readonly WireField[], field: WireField, tagStart: number, valueStart: number, end: number) => {
    const keep = (into: Uint8Array[]) => into.push(source.copy(tagStart, end));
    if (outer.length === 0) {
      if (field.number !== MODEL_GRAPH) keep(modelFields);
    } else if (outer.length === 1 && outer[0].number === MODEL_GRAPH) {
      if (field.number === GRAPH_INITIALIZER) tensors.push({ fields: [], raw: undefined });
      else keep(graphFields);
    } else if (outer.length === 2 && outer[0].number === MODEL_GRAPH && outer[1].number === GRAPH_INITIALIZER) {
      const tensor = tensors[tensors.length - 1];
      // The last occurrence of a singular field wins, as in a decoder.
      if (field.number === TENSOR_RAW_DATA) tensor.raw = undefined;
      if (field.number === TENSOR_RAW_DATA && end - valueStart >= IN_FILE_MIN_BYTES) tensor.raw = { offset: valueStart, length: end - valueStart };
      else keep(tensor.fields);
    }
  });
  const location = path.basename(file);
  const decoded = decode(file, () => {
    const model = fromBinary(ModelProtoSchema, concat(modelFields));
    const graph = fromBinary(GraphProtoSchema, concat(graphFields));
    graph.initializer = tensors.map((parts) => {
      const t = fromBinary(TensorProtoSchema, concat(parts.fields));
      if (parts.raw && t.dataLocation !== DataLocation.EXTERNAL) {
        t.dataLocation = DataLocation.EXTERNAL;
        t.externalData = [entry('location', location), entry('offset', String(parts.raw.offset)), entry('length', String(parts.raw.length))];
      }
      return t;
    });
    model.graph = graph;
    return model;
  });
  return decoded;
}

function decode(file: string, run: () => ModelProto): ModelProto {
  try {
    return run();
  } catch (e) {
    throw new SubcloneError('BadModel', `${file} is corrupt: the ONNX protobuf could not be decoded (${errorMessage(e)})`, { cause: e });
  }
}

function entry(key: string, value: string) {
  return create(StringStringEntryProtoSchema, { key, value });
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
