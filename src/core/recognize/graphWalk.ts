import type { Graph } from '../graph/graph';
import type { NodeProto } from '../onnx/proto';

/** Ops that pass a tensor through without changing its values' meaning (layout or type only). */
export const TRANSPARENT_OPS = new Set(['Cast', 'Identity', 'Dropout', 'Reshape', 'Squeeze', 'Unsqueeze', 'Flatten', 'Transpose', 'CastLike']);

/**
 * Nodes reachable backwards from `value` (its producer first), not expanding past values for which `stop`
 * returns true, and never past static values or graph inputs. Bounded to `limit` nodes.
 */
export function ancestorNodes(graph: Graph, value: string, stop: (v: string) => boolean, isStatic: (v: string) => boolean, limit = 400): NodeProto[] {
  const out: NodeProto[] = [];
  const seen = new Set<string>();
  const queue = [value];
  while (queue.length && out.length < limit) {
    const v = queue.shift()!;
    if (seen.has(v)) continue;
    seen.add(v);
    const node = graph.producer(v);
    if (!node) continue;
    out.push(node);
    for (const i of node.input) if (i && !isStatic(i) && !seen.has(i) && !stop(i)) queue.push(i);
  }
  return out;
}

/** Nodes reachable forwards from `value`, not expanding past values for which `stop` is true. */
export function descendantNodes(graph: Graph, value: string, stop: (v: string) => boolean, limit = 400): NodeProto[] {
  const out: NodeProto[] = [];
  const seenNodes = new Set<NodeProto>();
  const queue = [value];
  const seen = new Set<string>();
  while (queue.length && out.length < limit) {
    const v = queue.shift()!;
    if (seen.has(v)) continue;
    seen.add(v);
    for (const use of graph.consumers(v)) {
      if (seenNodes.has(use.node)) continue;
      seenNodes.add(use.node);
      out.push(use.node);
      for (const o of use.node.output) if (o && !stop(o)) queue.push(o);
    }
  }
  return out;
}

/** Follows a value back through no-op producers (Cast, Identity, Dropout) to where it really comes from. */
export function throughNoOps(graph: Graph, value: string): string {
  let v = value;
  for (let i = 0; i < 16; i++) {
    const p = graph.producer(v);
    if (!p || !['Cast', 'Identity', 'Dropout', 'CastLike'].includes(p.opType)) return v;
    v = p.input[0];
  }
  return v;
}

/** The first value on a chain of single-input transparent ops from `value` going forward, or the value itself. */
export function isAncestor(graph: Graph, ancestor: string, value: string, isStatic: (v: string) => boolean, limit = 2000): boolean {
  const nodes = ancestorNodes(graph, value, (v) => v === ancestor, isStatic, limit);
  return nodes.some((n) => n.input.includes(ancestor));
}
