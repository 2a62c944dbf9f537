import { toBinary } from '@bufbuild/protobuf';
import { SubcloneError } from '../errors';
import { isExternal } from '../onnx/externalData';
import type { OnnxModel } from '../onnx/onnxModel';
import { ModelProtoSchema, UNSET } from '../onnx/proto';

const LIMIT = 1.9 * 1024 ** 3;

/**
 * The model as one protobuf buffer for an in-memory onnxruntime session, with any external weights read in.
 * (Models over ~2 GiB must go to a file with external data instead; writeModel does that.)
 */
export function sessionBytes(model: OnnxModel): Uint8Array {
  const g = model.graph;
  let total = 0;
  for (const t of g.initializer) total += model.tensorByteLength(t);
  if (total > LIMIT) throw new SubcloneError('Unsupported', 'the model is too large for an in-memory session; write it with external data first');
  if (!g.initializer.some(isExternal)) return toBinary(ModelProtoSchema, model.proto);
  const initializer = g.initializer.map((t) =>
    isExternal(t) ? { ...t, rawData: Uint8Array.from(model.tensorBytes(t)), dataLocation: UNSET, externalData: [] } : t,
  );
  return toBinary(ModelProtoSchema, { ...model.proto, graph: { ...g, initializer } });
}
