import type { Graph } from '../graph/graph';
import { findAttribute } from '../graph/attributes';
import type { NodeProto, TensorProto } from '../onnx/proto';
import { tensorWithBytes } from '../onnx/tensorEdit';

/**
 * Values whose content is stored in the file and can carry coupled axes: initializers, Constant node outputs, and
 * Identity copies of an initializer — PyTorch's exporter deduplicates equal weights (zero biases, unit norm
 * scales) into one initializer read through Identity nodes, which must not couple the layers that share them.
 */
export function storedCopySource(graph: Graph, name: string): { node: NodeProto; source: string } | undefined {
  const p = graph.producer(name);
  if (p && p.opType === 'Identity' && graph.initializer(p.input[0])) return { node: p, source: p.input[0] };
  return undefined;
}

export function isStoredTensor(graph: Graph, name: string): boolean {
  if (graph.initializer(name)) return true;
  const p = graph.producer(name);
  return !!p && (p.opType === 'Constant' || storedCopySource(graph, name) !== undefined);
}

/**
 * Gives a stored value an initializer of its own so it can be edited without touching anything else: a Constant
 * node or a deduplicated Identity copy becomes an initializer of the same name (the node is removed). Returns it.
 */
export function ownInitializer(graph: Graph, name: string): TensorProto {
  const existing = graph.initializer(name);
  if (existing) return existing;
  const p = graph.producer(name);
  let source: TensorProto | undefined;
  if (p?.opType === 'Constant') source = graph.constantTensor(name);
  else {
    const copy = storedCopySource(graph, name);
    if (copy) source = graph.initializer(copy.source);
  }
  if (!p || !source) throw new Error(`${name} is not a stored tensor`);
  const tensor = tensorWithBytes(source, graph.model.tensorBytes(source), { name });
  graph.removeNodes(new Set([p]));
  graph.addInitializer(tensor);
  return tensor;
}

/** The tensor proto behind a stored value, without changing the graph. */
export function storedTensor(graph: Graph, name: string): TensorProto | undefined {
  const init = graph.initializer(name);
  if (init) return init;
  const p = graph.producer(name);
  if (p?.opType === 'Constant') return findAttribute(p, 'value')?.t ? graph.constantTensor(name) : graph.constantTensor(name);
  const copy = storedCopySource(graph, name);
  return copy ? graph.initializer(copy.source) : undefined;
}
