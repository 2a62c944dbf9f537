import { SubcloneError } from '../errors';
import { nodeLabel } from '../graph/attributes';
import type { Graph } from '../graph/graph';
import { evalPoly, polyToString } from '../coupling/poly';
import { DataType } from '../onnx/dataType';
import { tensorWithBytes } from '../onnx/tensorEdit';
import type { CouplingGroup } from '../recognize/transformerMap';

/**
 * Writes the destination's sizes into the shape constants the groups list (Reshape targets, Split sizes, Expand
 * shapes, Slice bounds) of nodes still in the graph. Each edited constant is first made private to its node.
 */
export function rewriteConstants(graph: Graph, groups: readonly CouplingGroup[], sizes: Record<string, number>): number {
  const nodes = new Map(graph.nodes.map((n) => [n.name, n]));
  const seen = new Set<string>();
  let edits = 0;
  for (const g of groups) {
    for (const c of g.constants) {
      const key = `${c.node}|${c.input}|${c.element}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const node = nodes.get(c.node);
      if (!node) continue;
      const value = evalPoly(c.value, sizes);
      if (!Number.isInteger(value)) {
        throw new SubcloneError('BadShape', `${nodeLabel(node)} would need ${polyToString(c.value)} = ${value}, not a whole number`);
      }
      const t = graph.privateConstant(node, c.input);
      const raw = new Uint8Array(graph.model.tensorBytes(t));
      const view = new DataView(raw.buffer);
      if (t.dataType === DataType.INT64) view.setBigInt64(c.element * 8, BigInt(value), true);
      else if (t.dataType === DataType.INT32) view.setInt32(c.element * 4, value, true);
      else throw new SubcloneError('Unsupported', `the shape constant of ${nodeLabel(node)} is not int32/int64`);
      graph.replaceInitializer(tensorWithBytes(t, raw));
      edits++;
    }
  }
  return edits;
}
