import type { Graph } from './graph';
import { subgraphInputs } from './graph';

const SHAPE_ONLY_OPS = new Set(['Shape', 'Size']);
const NONDETERMINISTIC_OPS = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli', 'Dropout']);

/**
 * The values whose content depends only on constants and on the *shapes* of the graph inputs, never on input
 * values: the shape plumbing (Shape → Gather → Concat → Reshape targets, masks built from Range, …). Once the
 * input shapes are fixed, every one of these is a constant. Precondition: the graph is topologically sorted.
 */
export function staticValues(graph: Graph): Set<string> {
  const isStatic = new Set<string>(['']);
  for (const t of graph.proto.initializer) if (!graph.isGraphInput(t.name)) isStatic.add(t.name);
  for (const node of graph.nodes) {
    let result: boolean;
    if (SHAPE_ONLY_OPS.has(node.opType) && (node.domain === '' || node.domain === 'ai.onnx')) result = true;
    else if (NONDETERMINISTIC_OPS.has(node.opType)) result = false;
    else result = [...node.input, ...subgraphInputs(node)].every((i) => isStatic.has(i));
    if (result) for (const o of node.output) if (o) isStatic.add(o);
  }
  isStatic.delete('');
  return isStatic;
}
