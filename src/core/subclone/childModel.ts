import { clone } from '@bufbuild/protobuf';
import { OnnxModel } from '../onnx/onnxModel';
import { NodeProtoSchema } from '../onnx/proto';

/** A shallow copy of a protobuf message that keeps its prototype (where proto2 defaults of unset fields live). */
function shallowCopy<T extends object>(message: T, overrides: Partial<T>): T {
  return Object.assign(Object.create(Object.getPrototypeOf(message)) as T, message, overrides);
}

/**
 * A structural copy of a model to edit: new node, list and value-info objects, but the same tensor objects, whose
 * weight bytes stay views into the parent's file (nothing is copied until a tensor is sliced). Edits to the copy
 * never reach the parent.
 */
export function editableCopy(parent: OnnxModel): OnnxModel {
  const p = parent.proto;
  const g = parent.graph;
  const graph = shallowCopy(g, {
    node: g.node.map((n) => clone(NodeProtoSchema, n)),
    initializer: [...g.initializer],
    input: [...g.input],
    output: [...g.output],
    valueInfo: [],
  });
  const proto = shallowCopy(p, { graph, metadataProps: [...p.metadataProps] });
  return OnnxModel.fromProto(proto, parent.baseDir, parent.file);
}
