import { SubcloneError, isSubcloneError, throwIfAborted } from '../errors';
import { AxisAnalysis } from '../coupling/axisAnalysis';
import { Graph } from '../graph/graph';
import { DEFAULT_PROBE, probeModel, type ProbeShape, type ProbedValue } from '../graph/probe';
import { staticValues } from '../graph/staticValues';
import type { OnnxModel } from '../onnx/onnxModel';
import { valueSpec } from '../onnx/valueInfo';
import { recognizeBlocks, type FoundBlock, type FoundBlocks } from './blocks';
import type { RecognizeContext } from './context';
import { findEmbeddingSeed, recognizeEmbedding, recognizeFinal, recognizeKvCache, type EmbeddingSeed } from './ends';
import { findLinears, type Linear } from './linears';
import { countParameters, describeParams } from './params';
import { buildCouplingGroups } from './groups';
import { checkSupported } from './unsupported';
import { findTiedCopies } from './ties';
import type { BlockMap, Dims, EmbeddingMap, Family, FinalMap, Flavour, LinearInfo, TransformerMap } from './transformerMap';

export interface RecognizeOptions {
  probe?: Partial<ProbeShape>;
  signal?: AbortSignal;
}

/** The map plus the analysis behind it, for the passes that edit the graph (subcloning, instrumentation). */
export interface Recognition {
  map: TransformerMap;
  graph: Graph;
  analysis: AxisAnalysis;
  probed: Map<string, ProbedValue>;
}

/** Recognises a transformer in an ONNX model: family, dimensions, structure and coupling. */
export async function recognize(model: OnnxModel, options: RecognizeOptions = {}): Promise<TransformerMap> {
  return (await analyzeModel(model, options)).map;
}

export async function analyzeModel(model: OnnxModel, options: RecognizeOptions = {}): Promise<Recognition> {
  checkSupported(model);
  const graph = new Graph(model);
  checkGraph(model, graph);
  const probed = await probeModel(model, { ...DEFAULT_PROBE, ...options.probe }, options.signal);
  throwIfAborted(options.signal);
  const statics = staticValues(graph);
  const isStatic = (v: string) => statics.has(v);
  const analysis = new AxisAnalysis(graph, probed, model.opset('') ?? 17).run();
  const seed = findEmbeddingSeed({ graph, isStatic });
  const D = analysis.classOf(seed.output, seed.axis);
  const linears = findLinears(graph, analysis);
  const tiedCopies = seed.kind === 'text' ? findTiedCopies(model, graph, analysis, seed.table) : [];
  const ctx: RecognizeContext = { graph, analysis, probed, isStatic, D, linears, linearByMatmul: new Map(linears.map((l) => [l.matmul.name, l])) };
  const found = recognizeBlocks(ctx);
  const blockLinears = new Set<Linear>(found.blocks.flatMap((b) => [b.attention.q, b.attention.k, b.attention.v, b.attention.o, b.mlp.up, b.mlp.down, ...(b.mlp.gate ? [b.mlp.gate] : [])]));
  const embedding = recognizeEmbedding(ctx, seed, found.blocks[0].input);
  const final = recognizeFinal(ctx, found.blocks[found.blocks.length - 1], blockLinears, embedding.token, new Set(tiedCopies.map((t) => t.copy)));
  if (final.pooler && final.pooler.weight) {
    // A pooler is hidden×hidden in every family that has one: its output follows the embedding width.
    const poolerOut = analysis.classOf(final.pooler.output, -1);
    if (poolerOut.size === D.size) analysis.table.unify(poolerOut, D, 'pooler width');
  }
  const blocks = found.blocks.map((b) => toBlockMap(graph, analysis, b));
  const kvCache = recognizeKvCache(ctx, found.blocks);
  const flavour = describeFlavour(graph, found, embedding, final, kvCache.length > 0);
  const family = familyOf(seed, found, flavour);
  const params = describeParams(graph, embedding, blocks, final, new Set(tiedCopies.map((t) => t.copy)));
  const map: TransformerMap = {
    family,
    variant: variantOf(graph, family, found, embedding),
    dims: describeDims(ctx, seed, found, embedding),
    flavour,
    inputs: graph.realInputs.map(valueSpec),
    outputs: graph.proto.output.map(valueSpec),
    embedding,
    blocks,
    final,
    params,
    groups: [],
    constraints: [],
    kvCache,
    parameterCounts: countParameters(params),
    warnings: [],
  };
  const coupling = buildCouplingGroups(ctx, map, found);
  map.groups = coupling.groups;
  map.constraints = coupling.constraints;
  return { map, graph, analysis, probed };
}

/**
 * Puts the nodes in order when they are not, and then requires a well-formed graph: every input defined, every
 * value defined once, every output produced. Throws BadModel naming the file and the first problem.
 */
function checkGraph(model: OnnxModel, graph: Graph): void {
  try {
    graph.validate();
    return;
  } catch {
    // Out of order, or broken: sorting tells which.
  }
  try {
    graph.toposort();
    graph.validate();
  } catch (e) {
    if (isSubcloneError(e, 'BadModel') && model.file) throw new SubcloneError('BadModel', `${model.file}: ${e.message}`, { cause: e });
    throw e;
  }
}

function linearInfo(l: Linear): LinearInfo {
  return { node: l.node, weight: l.weight, bias: l.bias, inAxis: l.inAxis, outAxis: l.outAxis };
}

/** Looks through a Gemm's [B*T, F] flattening to the [B, T, F] value it reshapes. */
function tokenLevel(graph: Graph, analysis: AxisAnalysis, value: string): string {
  const p = graph.producer(value);
  if (!p || (p.opType !== 'Reshape' && p.opType !== 'Flatten')) return value;
  const flattened = analysis.axes(value).length === 2 && analysis.axes(p.input[0]).length === 3;
  return flattened && analysis.classOf(p.input[0], -1) === analysis.classOf(value, -1) ? p.input[0] : value;
}

function toBlockMap(graph: Graph, analysis: AxisAnalysis, b: FoundBlock): BlockMap {
  const a = b.attention;
  return {
    index: b.index,
    input: b.input,
    output: b.output,
    attnNorm: b.attnNorm,
    mlpNorm: b.mlpNorm,
    mid: b.mid,
    attention: {
      q: linearInfo(a.q),
      k: linearInfo(a.k),
      v: linearInfo(a.v),
      o: linearInfo(a.o),
      heads: a.heads,
      kvHeads: a.kvHeads,
      headDim: a.headDim,
      scale: a.scale,
      context: tokenLevel(graph, analysis, a.o.input),
      update: b.attnUpdate,
    },
    mlp: {
      up: linearInfo(b.mlp.up),
      gate: b.mlp.gate ? linearInfo(b.mlp.gate) : null,
      down: linearInfo(b.mlp.down),
      activation: b.mlp.activation,
      hidden: tokenLevel(graph, analysis, b.mlp.down.input),
      update: b.mlpUpdate,
      ffn: b.mlp.ffn,
    },
  };
}

function describeFlavour(graph: Graph, found: FoundBlocks, embedding: EmbeddingMap, final: FinalMap, kvCache: boolean): Flavour {
  const b0 = found.blocks[0];
  const norm = b0.attnNorm ?? b0.mlpNorm ?? final.norm ?? embedding.norm;
  return {
    norm: norm?.kind ?? 'layernorm',
    normPlacement: found.placement,
    normForm: graph.nodes.some((n) => n.opType === 'LayerNormalization' || n.opType === 'RMSNormalization') ? 'fused' : 'decomposed',
    activation: b0.mlp.activation,
    gatedMlp: b0.mlp.gate !== null,
    position: b0.attention.rotary ? 'rotary' : embedding.position ? 'learned' : 'none',
    tokenTypes: embedding.tokenType !== null,
    tiedHead: final.head ? final.head.tiedTo !== null : null,
    fusedQkv: b0.attention.q.matmul === b0.attention.k.matmul,
    parallelResidual: found.parallel,
    biases: b0.attention.q.bias !== null || b0.mlp.up.bias !== null,
    head: final.head?.kind ?? (final.pooler ? 'pooler' : 'none'),
    kvCache,
  };
}

function familyOf(seed: EmbeddingSeed, found: FoundBlocks, flavour: Flavour): Family {
  if (seed.kind === 'vision') return 'vit';
  if (found.placement === 'post') return 'bert';
  if (flavour.norm === 'rmsnorm' || flavour.gatedMlp) return 'llama';
  if (flavour.parallelResidual || flavour.position === 'rotary') return 'gpt-neox';
  return 'gpt2';
}

function variantOf(graph: Graph, family: Family, found: FoundBlocks, embedding: EmbeddingMap): string | null {
  if (family === 'vit' && embedding.specialTokens.length >= 2) return 'deit';
  if (family === 'bert' && graph.nodes.some((n) => n.opType === 'CumSum')) return 'roberta';
  if (family === 'llama' && found.blocks[0].attention.q.bias !== null) return 'qwen2';
  return null;
}

function describeDims(ctx: RecognizeContext, seed: EmbeddingSeed, found: FoundBlocks, embedding: EmbeddingMap): Dims {
  const b0 = found.blocks[0].attention;
  const ffns = found.blocks.map((b) => b.mlp.ffn);
  const dims = (t: string) => ctx.analysis.dims(t);
  let context: number | null = null;
  if (embedding.position) {
    const p = dims(embedding.position);
    context = p.length === 3 ? p[1] : p[0];
    if (ctx.graph.nodes.some((n) => n.opType === 'CumSum')) context -= 2; // RoBERTa: positions start after padding_idx
  } else if (b0.rotaryTables.length) {
    const table = b0.rotaryTables.map(dims).find((d) => d.length === 2);
    context = table ? table[0] : null;
  }
  return {
    layers: found.blocks.length,
    dModel: ctx.D.size,
    heads: b0.heads,
    kvHeads: b0.kvHeads,
    headDim: b0.headDim,
    ffn: ffns.every((f) => f === ffns[0]) ? ffns[0] : ffns,
    vocab: seed.kind === 'text' ? dims(seed.table)[0] : null,
    context,
  };
}
