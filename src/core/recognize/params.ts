import type { Graph } from '../graph/graph';
import { isFloatType } from '../onnx/dataType';
import { elementCount, tensorDims } from '../onnx/tensorValues';
import { storedCopySource, storedTensor } from '../coupling/storedTensors';
import type { BlockMap, Component, EmbeddingMap, FinalMap, ParamInfo, ParamRole, ParameterCounts } from './transformerMap';

const COMPONENT: Record<string, Component> = {
  embedding: 'embedding',
  norm: 'norm',
  attn: 'attention',
  mlp: 'mlp',
  head: 'head',
  pooler: 'pooler',
  other: 'other',
};

/** Assigns every float initializer its role, block, component and tie. */
export function describeParams(graph: Graph, embedding: EmbeddingMap, blocks: BlockMap[], final: FinalMap, tiedCopies: Set<string>): ParamInfo[] {
  const roles = new Map<string, { role: ParamRole; block: number | null }>();
  const set = (name: string | null | undefined, role: ParamRole, block: number | null = null) => {
    if (name && !roles.has(name)) roles.set(name, { role, block });
  };
  set(embedding.token, 'embedding.token');
  set(embedding.position, 'embedding.position');
  set(embedding.tokenType, 'embedding.tokenType');
  set(embedding.patch?.weight, 'embedding.patch');
  set(embedding.patch?.bias, 'embedding.patchBias');
  embedding.specialTokens.forEach((t) => set(t, 'embedding.special'));
  const norm = (n: { weight: string | null; bias: string | null } | null, block: number | null) => {
    set(n?.weight, 'norm.weight', block);
    set(n?.bias, 'norm.bias', block);
  };
  norm(embedding.norm, null);
  for (const b of blocks) {
    norm(b.attnNorm, b.index);
    norm(b.mlpNorm, b.index);
    for (const l of [b.attention.q, b.attention.k, b.attention.v]) {
      set(l.weight, 'attn.weight', b.index);
      set(l.bias, 'attn.bias', b.index);
    }
    set(b.attention.o.weight, 'attn.out.weight', b.index);
    set(b.attention.o.bias, 'attn.out.bias', b.index);
    for (const l of [b.mlp.up, b.mlp.gate]) {
      set(l?.weight, 'mlp.weight', b.index);
      set(l?.bias, 'mlp.bias', b.index);
    }
    set(b.mlp.down.weight, 'mlp.down.weight', b.index);
    set(b.mlp.down.bias, 'mlp.down.bias', b.index);
  }
  norm(final.norm, null);
  for (const h of [final.head, ...final.extraHeads]) {
    set(h?.weight, 'head.weight');
    set(h?.bias, 'head.bias');
  }
  set(final.headTransform?.weight, 'head.weight');
  set(final.headTransform?.bias, 'head.bias');
  norm(final.headTransform?.norm ?? null, null);
  set(final.pooler?.weight, 'pooler.weight');
  set(final.pooler?.bias, 'pooler.bias');

  const params: ParamInfo[] = [];
  const copies = graph.nodes.filter((n) => storedCopySource(graph, n.output[0])).map((n) => n.output[0]);
  for (const name of [...graph.proto.initializer.map((t) => t.name), ...copies]) {
    const t = storedTensor(graph, name)!;
    if (!isFloatType(t.dataType)) continue;
    const r = roles.get(name) ?? { role: 'other' as ParamRole, block: null };
    params.push({
      name,
      role: r.role,
      component: COMPONENT[r.role.split('.')[0]] ?? 'other',
      block: r.block,
      dims: tensorDims(t),
      tiedTo: tiedCopies.has(name) ? embedding.token : null,
    });
  }
  return params;
}

/** Parameters per component; a tied copy counts once; buffers (role 'other') are not parameters. */
export function countParameters(params: ParamInfo[]): ParameterCounts {
  const counts: ParameterCounts = { embedding: 0, attention: 0, mlp: 0, norm: 0, head: 0, pooler: 0, other: 0, total: 0 };
  for (const p of params) {
    if (p.tiedTo) continue;
    const n = elementCount(p.dims);
    counts[p.component] += n;
    if (p.component !== 'other') counts.total += n;
  }
  return counts;
}
