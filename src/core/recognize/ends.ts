import { SubcloneError } from '../errors';
import { attrInt } from '../graph/attributes';
import type { NodeProto } from '../onnx/proto';
import { ancestorNodes, descendantNodes, throughNoOps } from './graphWalk';
import { weightInitializer, type Linear } from './linears';
import { recognizeNorm } from './norms';
import { carriesD, type RecognizeContext } from './context';
import type { EmbeddingMap, FinalMap, HeadMap, KvCacheEntry } from './transformerMap';
import type { FoundBlock } from './blocks';

/** Where the residual stream starts: token/patch embeddings; found before the blocks to learn D. */
export interface EmbeddingSeed {
  kind: 'text' | 'vision';
  /** The token embedding lookup or the patch convolution. */
  node: NodeProto;
  table: string;
  /** The value whose last axis is D. */
  output: string;
  /** Axis of `output` that carries D. */
  axis: number;
}

/** Finds the token embedding (Gather from a float table by ids from an input) or the patch-embedding Conv. */
export function findEmbeddingSeed(ctx: Pick<RecognizeContext, 'graph' | 'isStatic'>): EmbeddingSeed {
  const g = ctx.graph;
  const inputs = g.realInputs.map((v) => v.name);
  const fromInput = (value: string) => {
    const origin = throughNoOps(g, value);
    if (inputs.includes(origin)) return origin;
    const p = g.producer(origin);
    return p && ['Reshape', 'Unsqueeze', 'Squeeze', 'Flatten'].includes(p.opType) ? (inputs.includes(throughNoOps(g, p.input[0])) ? throughNoOps(g, p.input[0]) : undefined) : undefined;
  };
  const lookups = g.nodes.filter((n) => {
    if (n.opType !== 'Gather' || attrInt(n, 'axis', 0) !== 0) return false;
    const table = weightInitializer(g, n.input[0]);
    const t = table ? g.constantTensor(table) : undefined;
    return !!t && t.dims.length === 2 && [1, 10, 11, 16].includes(t.dataType) && fromInput(n.input[1]) !== undefined;
  });
  const byName = (n: NodeProto) => /input_ids|tokens?$|^ids$/i.test(fromInput(n.input[1]) ?? '');
  const token = lookups.find(byName) ?? lookups.find((n) => !/position|type/i.test(fromInput(n.input[1]) ?? ''));
  if (token) return { kind: 'text', node: token, table: weightInitializer(g, token.input[0])!, output: token.output[0], axis: -1 };
  const conv = g.nodes.find((n) => n.opType === 'Conv' && inputs.includes(throughNoOps(g, n.input[0])) && weightInitializer(g, n.input[1]));
  if (conv) return { kind: 'vision', node: conv, table: weightInitializer(g, conv.input[1])!, output: conv.output[0], axis: 1 };
  throw new SubcloneError(
    'Unsupported',
    'not a transformer: no token embedding (a Gather from a float table indexed by an input) and no patch embedding (a Conv on an image input) found',
  );
}

/** Describes the embedding side: lookups added into the stream, special tokens, the embedding norm. */
export function recognizeEmbedding(ctx: RecognizeContext, seed: EmbeddingSeed, streamStart: string): EmbeddingMap {
  const g = ctx.graph;
  const nodes = ancestorNodes(g, streamStart, () => false, () => false, 400);
  let position: string | null = null;
  let tokenType: string | null = null;
  const specialTokens: string[] = [];
  for (const n of nodes) {
    for (const input of n.input) {
      const init = weightInitializer(g, input);
      if (!init || init === seed.table) continue;
      const dims = ctx.analysis.dims(init);
      if (dims.length < 2 || ctx.analysis.classOf(init, -1) !== ctx.D) continue;
      if (n.opType === 'Gather' && input === n.input[0]) {
        if (lookupKind(ctx, n.input[1], dims[0]) === 'position') position ??= init;
        else tokenType ??= init;
      } else if (n.opType === 'Add' && dims.length === 3) position ??= init;
      else if (['Expand', 'Concat', 'Tile'].includes(n.opType) && dims.length === 3) specialTokens.push(init);
    }
  }
  return {
    token: seed.kind === 'text' ? seed.table : null,
    position,
    tokenType,
    patch: seed.kind === 'vision' ? { weight: seed.table, bias: seed.node.input[2] ? weightInitializer(g, seed.node.input[2]) ?? null : null } : null,
    specialTokens: [...new Set(specialTokens)],
    norm: embeddingNorm(ctx, streamStart),
    output: streamStart,
  };
}

/** Whether a lookup's indices are positions (from Range/CumSum or a position_ids input) or token types. */
function lookupKind(ctx: RecognizeContext, indices: string, rows: number): 'position' | 'tokenType' {
  const origin = throughNoOps(ctx.graph, indices);
  if (/position/i.test(origin)) return 'position';
  if (/type|segment/i.test(origin)) return 'tokenType';
  const provenance = ancestorNodes(ctx.graph, indices, () => false, () => false, 60);
  if (provenance.some((n) => n.opType === 'Range' || n.opType === 'CumSum')) return 'position';
  if (provenance.length && provenance.every((n) => ['Constant', 'ConstantOfShape', 'Expand', 'Shape', 'Gather', 'Unsqueeze', 'Concat', 'Slice', 'Cast', 'Reshape'].includes(n.opType))) {
    const values = ctx.probed.get(indices)?.values;
    if (values && values.every((v) => v === 0)) return 'tokenType';
  }
  return rows <= 16 ? 'tokenType' : 'position';
}

function embeddingNorm(ctx: RecognizeContext, streamStart: string) {
  const nodes = ancestorNodes(ctx.graph, streamStart, () => false, ctx.isStatic, 40);
  // A norm ends at the stream start when the nodes right before it include a reduction over D.
  const reduce = nodes.find((n) => n.opType === 'LayerNormalization' || n.opType === 'ReduceMean');
  if (!reduce) return null;
  const from = reduce.opType === 'LayerNormalization' ? reduce.input[0] : reduce.input[0];
  const origin = ctx.graph.producer(from)?.opType === 'Pow' ? ctx.graph.producer(from)!.input[0] : from;
  return recognizeNorm(ctx, origin, streamStart);
}

/**
 * The model's end: final norm, head (LM or classifier) with any transform before it, pooler, and the final hidden
 * state. The head is the projection right before a graph output; a tied copy of the token table makes it an LM head.
 */
export function recognizeFinal(ctx: RecognizeContext, last: FoundBlock, blockLinears: Set<Linear>, tokenTable: string | null, tiedCopies: Set<string>): FinalMap {
  const g = ctx.graph;
  const outputs = new Set(g.proto.output.map((o) => o.name));
  const isLinearNode = (name: string) => ctx.linearByMatmul.has(name);
  const below = ctx.linears.filter(
    (l) => !blockLinears.has(l) && (l.input === last.output || ancestorNodes(g, l.input, (v) => v === last.output, ctx.isStatic, 200).some((n) => n.input.includes(last.output))),
  );
  // A head's output reaches a graph output without passing through another projection (or only through its shape:
  // the Reshape restoring a Gemm's rows reads the Shape of the Gemm's input).
  const reachesOutput = (l: Linear) =>
    outputs.has(l.output) ||
    descendantNodes(g, l.output, (v) => isLinearNode(g.producer(v)?.name ?? '') || g.producer(v)?.opType === 'Shape', 30).some((n) => !isLinearNode(n.name) && n.output.some((o) => outputs.has(o)));
  const terminal = below.filter(reachesOutput);
  // Token selection on the hidden state (CLS: Gather or Slice of it), not the Slice of a Shape that restores a
  // Gemm's rows to [B, T, …].
  const pooledInput = (l: Linear) => ancestorNodes(g, l.input, (v) => v === last.output, ctx.isStatic, 40).some((n) => (n.opType === 'Gather' || n.opType === 'Slice') && carriesD(ctx, n.input[0]));
  const poolerLinear = terminal.find((l) => pooledInput(l) && g.consumers(l.output).some((u) => u.node.opType === 'Tanh'));
  const heads = terminal.filter((l) => l !== poolerLinear && !(poolerLinear && ancestorNodes(g, l.input, () => false, ctx.isStatic, 20).includes(poolerLinear.matmul)));
  const transform = below.find((l) => !terminal.includes(l) && l !== poolerLinear && heads.some((h) => ancestorNodes(g, h.input, () => false, ctx.isStatic, 40).includes(l.matmul)));

  const first = transform ?? heads[0];
  const headInput = first ? beforePooling(ctx, first.input, last.output) : undefined;
  const finalOut = headInput ?? [...outputs].find((o) => carriesD(ctx, o) && ctx.analysis.axes(o).length >= 3 && o !== poolerLinear?.output) ?? last.output;
  const norm = finalOut !== last.output ? recognizeNorm(ctx, last.output, finalOut) : null;
  const hidden = norm ? finalOut : last.output;
  const vocab = tokenTable ? ctx.analysis.dims(tokenTable)[0] : -1;
  const toHead = (l: Linear): HeadMap => ({
    kind: l.outClass.size === vocab && !pooledInput(l) ? 'lm' : 'classifier',
    weight: l.weight,
    bias: l.bias,
    inAxis: l.inAxis,
    outAxis: l.outAxis,
    output: outputs.has(l.output) ? l.output : descendantNodes(g, l.output, () => false, 20).flatMap((n) => n.output).find((o) => outputs.has(o)) ?? l.output,
    tiedTo: tokenTable && (l.weight === tokenTable || tiedCopies.has(l.weight)) ? tokenTable : null,
  });
  return {
    norm,
    hidden,
    head: heads[0] ? toHead(heads[0]) : null,
    headTransform: transform ? { weight: transform.weight, bias: transform.bias, norm: heads[0] ? recognizeNorm(ctx, transform.output, heads[0].input) ?? transformNorm(ctx, transform, heads[0]) : null } : null,
    extraHeads: heads.slice(1).map(toHead),
    pooler: poolerLinear
      ? { weight: poolerLinear.weight, bias: poolerLinear.bias, output: g.consumers(poolerLinear.output).find((u) => u.node.opType === 'Tanh')!.node.output[0] }
      : null,
  };
}

/** The norm inside a head transform (dense → activation → norm), between the activation and the head. */
function transformNorm(ctx: RecognizeContext, transform: Linear, head: Linear) {
  const nodes = ancestorNodes(ctx.graph, head.input, (v) => v === transform.output, ctx.isStatic, 40);
  const act = nodes.find((n) => ['Erf', 'Tanh', 'Sigmoid', 'Relu', 'Gelu'].includes(n.opType));
  if (!act) return null;
  const after = descendantNodes(ctx.graph, act.output[0], () => false, 10).find((n) => n.opType === 'Mul' || n.opType === 'Add');
  const start = after?.output[0];
  return start ? recognizeNorm(ctx, start, head.input) : null;
}

/** Walks back from a head's input past CLS selection (Gather/Slice) to the sequence-wide hidden state. */
function beforePooling(ctx: RecognizeContext, value: string, stop: string): string {
  let v = value;
  for (let i = 0; i < 8 && v !== stop; i++) {
    const p = ctx.graph.producer(v);
    if (!p) break;
    if (['Gather', 'Slice', 'Squeeze', 'Reshape', 'Cast', 'Identity', 'Flatten'].includes(p.opType)) {
      if (['Gather', 'Slice'].includes(p.opType) || carriesD(ctx, p.input[0])) v = p.input[0];
      else break;
    } else break;
  }
  return v;
}

/** Per-layer KV cache inputs/outputs of decoders exported with past_key_values. */
export function recognizeKvCache(ctx: RecognizeContext, blocks: FoundBlock[]): KvCacheEntry[] {
  const g = ctx.graph;
  const outputs = new Set(g.proto.output.map((o) => o.name));
  const entries: KvCacheEntry[] = [];
  const pastInputs = g.realInputs.filter((v) => ctx.analysis.axes(v.name).length === 4 && /past|cache/i.test(v.name));
  if (pastInputs.length === 0) return [];
  for (const b of blocks) {
    const find = (matmul: NodeProto, operand: number): [string, string] | undefined => {
      const anc = ancestorNodes(g, matmul.input[operand], () => false, ctx.isStatic, 60);
      // The cache is concatenated with this step's keys/values; other reads (its length for masks) do not count.
      const concat = anc.find((n) => n.opType === 'Concat' && pastInputs.some((p) => n.input.includes(p.name)));
      const past = concat && pastInputs.find((p) => concat.input.includes(p.name));
      if (!past) return undefined;
      const between = anc.flatMap((n) => n.output).find((o) => outputs.has(o));
      return between ? [past.name, between] : undefined;
    };
    const k = find(b.attention.scoresMatMul, 1);
    const v = find(b.attention.pvMatMul, 1);
    if (k && v) entries.push({ block: b.index, pastKey: k[0], presentKey: k[1], pastValue: v[0], presentValue: v[1] });
  }
  return entries;
}
