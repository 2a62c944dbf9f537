import { create } from '@bufbuild/protobuf';
import type { Graph } from '../graph/graph';
import { NodeProtoSchema } from '../onnx/proto';
import type { TransformerMap } from '../recognize/transformerMap';

/**
 * Removes whole blocks by reconnecting the residual stream: every reader of a removed block's output reads the
 * block's input instead, and the block's nodes become dead (the caller runs cleanup). A block output that is a
 * graph output keeps its name through an Identity. KV-cache inputs/outputs of removed blocks are dropped and the
 * remaining ones renumbered 0..l-1 so the child follows the usual `past_key_values.<i>` layout.
 */
export function removeBlocks(graph: Graph, map: TransformerMap, keep: readonly number[]): void {
  const kept = new Set(keep);
  const replaced = new Map<string, string>();
  const resolve = (v: string) => {
    let x = v;
    while (replaced.has(x)) x = replaced.get(x)!;
    return x;
  };
  for (const b of map.blocks) {
    if (kept.has(b.index)) continue;
    const source = resolve(b.input);
    redirect(graph, b.output, source);
    replaced.set(b.output, source);
  }
  const removedCache = map.kvCache.filter((e) => !kept.has(e.block));
  if (removedCache.length) {
    const dropIn = new Set(removedCache.flatMap((e) => [e.pastKey, e.pastValue]));
    const dropOut = new Set(removedCache.flatMap((e) => [e.presentKey, e.presentValue]));
    graph.proto.input = graph.proto.input.filter((v) => !dropIn.has(v.name));
    graph.proto.output = graph.proto.output.filter((v) => !dropOut.has(v.name));
    graph.invalidate();
    renumberCache(graph, map, keep);
  }
}

/** Points every reader of `from` at `to`; a graph output named `from` becomes Identity(to). */
function redirect(graph: Graph, from: string, to: string): void {
  graph.replaceAllUses(from, to);
  if (!graph.isGraphOutput(from)) return;
  const producer = graph.producer(from);
  if (producer) producer.output[producer.output.indexOf(from)] = graph.uniqueName(`${from}_removed`);
  graph.proto.node.push(create(NodeProtoSchema, { opType: 'Identity', name: graph.uniqueName(`${from}_skip`), input: [to], output: [from] }));
  graph.invalidate();
}

/** past_key_values.5.key → past_key_values.2.key when block 5 is the third kept block (names that carry the index). */
function renumberCache(graph: Graph, map: TransformerMap, keep: readonly number[]): void {
  const rename = new Map<string, string>();
  keep.forEach((block, i) => {
    const entry = map.kvCache.find((e) => e.block === block);
    if (!entry || block === i) return;
    for (const name of [entry.pastKey, entry.pastValue, entry.presentKey, entry.presentValue]) {
      const next = name.replace(new RegExp(`(^|[._])${block}(?=[._]|$)`), `$1${i}`);
      if (next !== name) rename.set(name, next);
    }
  });
  if (!rename.size) return;
  for (const v of [...graph.proto.input, ...graph.proto.output]) v.name = rename.get(v.name) ?? v.name;
  for (const n of graph.proto.node) {
    n.input = n.input.map((x) => rename.get(x) ?? x);
    n.output = n.output.map((x) => rename.get(x) ?? x);
  }
  graph.invalidate();
}
