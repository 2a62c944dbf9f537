import { create } from '@bufbuild/protobuf';
import { attr, Emitter } from './emitter';
import { attrInt, attrInts } from '../graph/attributes';
import { Graph, isDefaultDomain } from '../graph/graph';
import type { OnnxModel } from '../onnx/onnxModel';
import { NodeProtoSchema, type NodeProto, type TensorProto } from '../onnx/proto';

/** Below this many score elements per head (batch × sequence²) the attention is not cut: 2 MiB of float32 scores. */
const CHUNK_FROM_SCORES = 512 * 1024;

/**
 * How many slices each attention's score computation is cut into for batches of `batch` × `sequence` tokens: 1
 * (not cut) below 2 MiB of float32 scores per head (a 724-token sequence), 4 below a 2048-token sequence, 16 from it.
 * The number of heads is not known here. Measured on the 400 MB GPT-2 (8 heads, 1024 tokens): 4 slices of 8 MiB
 * instead of 32 MiB of scores at once took 100 MiB off the loss run's peak; 8 slices saved no more and cost
 * onnxruntime more time to set up the larger graph.
 */
export function attentionChunksFor(largest: { batch: number; sequence: number }): number {
  const perHead = largest.batch * largest.sequence * largest.sequence;
  return perHead < CHUNK_FROM_SCORES ? 1 : perHead < 2048 * 2048 ? 4 : 16;
}

/** Elementwise ops a score chain may hold between its two MatMuls (besides Softmax). */
const CHAIN_OPS = new Set(['Add', 'Sub', 'Mul', 'Div', 'Where', 'Max', 'Min', 'Cast', 'Identity', 'Tanh']);
/** Ops that pass the rank of their (broadcast) inputs through, for the rank bound below. */
const RANK_KEEPING = new Set([...CHAIN_OPS, 'Softmax', 'Neg', 'Sqrt', 'Exp', 'Erf', 'Sigmoid', 'Relu', 'Pow', 'Concat', 'Slice', 'Split', 'Equal', 'Less', 'Greater', 'Not', 'And', 'Or']);

/** One attention's score chain: Q·K → elementwise ops and Softmax → ·V. */
interface ScoreChain {
  /** In graph order: the score MatMul first, the value MatMul last. */
  nodes: NodeProto[];
  /** For every node, the input index that carries the chain (-1: the score MatMul, whose inputs are both cut). */
  through: number[];
}

/**
 * The nodes with every attention's score computation — Q·Kᵀ, the elementwise ops (scale, masks, soft-capping,
 * casts) and Softmax over the last axis, then ·V — cut along axis −3 (the heads of [batch, heads, query, key]
 * scores, or batch × heads of [batch·heads, query, key]) into `chunks` slices computed one after another. Each
 * slice's scores are dropped before the next slice's exist, so the activations onnxruntime holds at once shrink
 * from all heads' scores to one slice's; the concatenated result is the same tensor under the same name, computed
 * by the same kernels head by head.
 *
 * Q, K and V are broadcast to the scores' length on axis −3 and split; masks and scales whose axis −3 is 1 by the
 * graph's structure are used whole; any other operand is sliced where that axis has the full length and kept whole
 * where it turns out to be 1 (decided in the graph from its shape, after leading 1s up to rank 3). A chain is cut
 * only when its scores have rank ≥ 3 by the graph's structure, its values feed nothing else, and its Softmax
 * normalises the last axis; others are left as they are. The new nodes take the place of the chain in the node
 * list (onnxruntime's execution order follows it, one slice after another); their constants are returned.
 */
export function chunkAttention(model: OnnxModel, taken: Set<string>, chunks: number): { nodes: NodeProto[]; initializers: TensorProto[]; cut: number } {
  const graph = new Graph(model);
  const nodes = model.graph.node;
  const opset = model.opset('') ?? 0;
  // The emitted shape arithmetic (int64 Min / Max) needs opset 13.
  if (chunks < 2 || opset < 13) return { nodes, initializers: [], cut: 0 };
  const e = new Emitter(taken, opset, 'attention/');
  const replaced = new Map<NodeProto, NodeProto[]>();
  const dropped = new Set<NodeProto>();
  const ranks = new Map<string, number>();
  const shapes = new Map<string, Dims | null>();
  for (const softmax of nodes) {
    if (softmax.opType !== 'Softmax' || !isDefaultDomain(softmax)) continue;
    const chain = scoreChain(graph, softmax, opset);
    if (!chain) continue;
    const [scores] = chain.nodes;
    if (graph.constantTensor(scores.input[0]) && graph.constantTensor(scores.input[1])) continue;
    if (Math.max(rankAtLeast(graph, scores.input[0], ranks), rankAtLeast(graph, scores.input[1], ranks)) < 3) continue;
    const start = e.nodes.length;
    emitSlices(e, graph, chain, chunks, ranks, shapes);
    const last = chain.nodes[chain.nodes.length - 1];
    replaced.set(last, e.nodes.slice(start));
    for (const n of chain.nodes) dropped.add(n);
  }
  if (!replaced.size) return { nodes, initializers: [], cut: 0 };
  const out: NodeProto[] = [];
  for (const node of nodes) {
    const instead = replaced.get(node);
    if (instead) out.push(...instead);
    else if (!dropped.has(node)) out.push(node);
  }
  return { nodes: out, initializers: e.initializers, cut: replaced.size };
}

/** The chain from the score MatMul through `softmax` to the value MatMul, or undefined when it is not one. */
function scoreChain(graph: Graph, softmax: NodeProto, opset: number): ScoreChain | undefined {
  // Softmax over the last axis (before opset 13 the default axis 1 flattens the trailing axes: not per row).
  const axis = attrInt(softmax, 'axis') ?? (opset >= 13 ? -1 : 1);
  if (axis !== -1) return undefined;
  const back = chainBack(graph, softmax.input[0], 0);
  if (!back) return undefined;
  const forward: NodeProto[] = [softmax];
  let value = softmax.output[0];
  let values: NodeProto | undefined;
  for (let steps = 0; steps < 4 && !values; steps++) {
    const uses = graph.consumers(value);
    if (uses.length !== 1 || graph.isGraphOutput(value)) return undefined;
    const { node, index } = uses[0];
    if (node.opType === 'MatMul' && isDefaultDomain(node) && index === 0) values = node;
    else if ((node.opType === 'Cast' || node.opType === 'Identity') && isDefaultDomain(node)) {
      forward.push(node);
      value = node.output[0];
    } else return undefined;
  }
  if (!values) return undefined;
  const nodes = [...back.nodes, ...forward, values];
  const through = [...back.through, ...forward.map(() => 0), 0];
  // Every value inside the chain feeds only the next node: else the whole scores would still be computed.
  for (const n of nodes.slice(0, -1)) {
    if (graph.consumers(n.output[0]).length !== 1 || graph.isGraphOutput(n.output[0]) || n.output.length !== 1) return undefined;
  }
  return { nodes, through };
}

/**
 * Walks from `value` back to a MatMul through chain ops, each with exactly one input that leads there (at most 12
 * ops deep; `seen` memoises the walk, so masks built from many elementwise ops are looked at once).
 */
function chainBack(graph: Graph, value: string, depth: number, seen = new Map<string, ScoreChain | undefined>()): ScoreChain | undefined {
  if (seen.has(value)) return seen.get(value);
  seen.set(value, undefined);
  const node = graph.producer(value);
  if (!node || !isDefaultDomain(node) || depth > 12) return undefined;
  let chain: ScoreChain | undefined;
  if (node.opType === 'MatMul') chain = { nodes: [node], through: [-1] };
  else if (CHAIN_OPS.has(node.opType)) {
    // Where's condition is never the scores.
    const candidates = node.input.map((_, i) => i).filter((i) => node.input[i] && !(node.opType === 'Where' && i === 0));
    const found = candidates.map((i) => ({ i, chain: chainBack(graph, node.input[i], depth + 1, seen) })).filter((c) => c.chain);
    if (found.length === 1) chain = { nodes: [...found[0].chain!.nodes, node], through: [...found[0].chain!.through, found[0].i] };
  }
  seen.set(value, chain);
  return chain;
}

/** A lower bound on a value's rank from the graph's structure (0 when nothing is known). */
function rankAtLeast(graph: Graph, value: string, memo: Map<string, number>, depth = 0): number {
  const known = memo.get(value);
  if (known !== undefined) return known;
  let rank = 0;
  const t = graph.constantTensor(value);
  if (t) rank = t.dims.length;
  else if (graph.isGraphInput(value)) {
    const v = graph.proto.input.find((x) => x.name === value)?.type?.value;
    rank = v?.case === 'tensorType' ? (v.value.shape?.dim.length ?? 0) : 0;
  } else {
    const node = graph.producer(value);
    if (node && isDefaultDomain(node) && depth < 24) {
      const of = (i: number) => (node.input[i] ? rankAtLeast(graph, node.input[i], memo, depth + 1) : 0);
      if (node.opType === 'Transpose') rank = attrInts(node, 'perm')?.length ?? of(0);
      else if (node.opType === 'Reshape') rank = graph.constantTensor(node.input[1])?.dims.length === 1 ? Number(graph.constantTensor(node.input[1])!.dims[0]) : 0;
      else if (node.opType === 'Unsqueeze') rank = of(0) + (attrInts(node, 'axes')?.length ?? (node.input[1] ? (graph.constantNumbers(node.input[1])?.length ?? 1) : 1));
      else if (node.opType === 'MatMul') rank = Math.max(of(0), of(1), 2);
      else if (node.opType === 'Expand') rank = Math.max(of(0), graph.constantTensor(node.input[1])?.dims.length === 1 ? Number(graph.constantTensor(node.input[1])!.dims[0]) : 0);
      else if (RANK_KEEPING.has(node.opType)) rank = Math.max(...node.input.map((_, i) => of(i)));
    }
  }
  memo.set(value, rank);
  return rank;
}

/**
 * Emits the chain `chunks` times on slices of its inputs along axis −3, and the Concat of the results under the
 * chain's output name. Slice k covers [⌊k·N/chunks⌋, ⌊(k+1)·N/chunks⌋) of the N the chain's scores have there.
 * Q, K and V are broadcast to N there (a copy of one attention's inputs, small) and split once; an operand beside
 * the chain whose axis −3 is 1 by the graph's structure (masks, scales) is used whole; any other operand is sliced
 * per slice, keeping its one entry where its axis −3 turns out to be 1.
 */
function emitSlices(e: Emitter, graph: Graph, chain: ScoreChain, chunks: number, ranks: Map<string, number>, shapes: Map<string, Dims | null>): void {
  const { nodes, through } = chain;
  const [scores] = nodes;
  const last = nodes[nodes.length - 1];
  const qkv = [scores.input[0], scores.input[1], last.input[1]];
  const beside: string[] = [];
  nodes.forEach((n, j) => n.input.forEach((v, i) => {
    if (v && through[j] !== -1 && i !== through[j] && !(n === last && i === 1) && !qkv.includes(v) && !beside.includes(v)) beside.push(v);
  }));
  const sliced = beside.filter((v) => !unitAtAxis3(staticShape(graph, v, shapes)));
  // N: the broadcast length of axis −3 over every input that has one.
  const sizes = new Map([...qkv, ...sliced].map((v) => [v, axis3Size(e, v, rankAtLeast(graph, v, ranks) >= 3)]));
  const n = sizes.size === 1 ? [...sizes.values()][0] : e.op('Max', [...new Set(sizes.values())]);
  const bounds = e.op('Div', [e.op('Mul', [n, e.ints(Array.from({ length: chunks + 1 }, (_, k) => k))]), e.ints([chunks])]);
  const from = e.op('Slice', [bounds, e.ints([0]), e.ints([chunks])]);
  const to = e.op('Slice', [bounds, e.ints([1]), e.ints([chunks + 1])]);
  const lengths = e.op('Sub', [to, from]);
  const toN = e.op('Concat', [n, e.ints([1, 1])], [attr.int('axis', 0)]);
  const parts = new Map<string, string[]>();
  for (const v of new Set(qkv)) parts.set(v, e.node('Split', [e.op('Expand', [v, toN]), lengths], [attr.int('axis', -3)], chunks));
  // Operands sliced one slice at a time: given rank ≥ 3, then [min(from, d − 1), min(to, d)) along axis −3.
  const perSlice = sliced.map((v) => {
    const value = rankAtLeast(graph, v, ranks) >= 3 ? v : atLeastRank3(e, v);
    const d = sizes.get(v)!;
    return { v, value, d, last: e.op('Sub', [d, e.ints([1])]) };
  });
  const results: string[] = [];
  for (let k = 0; k < chunks; k++) {
    const inputs = new Map<string, string>();
    for (const [v, split] of parts) inputs.set(v, split[k]);
    if (perSlice.length) {
      const lo = e.op('Slice', [from, e.ints([k]), e.ints([k + 1])]);
      const hi = e.op('Slice', [to, e.ints([k]), e.ints([k + 1])]);
      for (const p of perSlice) inputs.set(p.v, e.op('Slice', [p.value, e.op('Min', [lo, p.last]), e.op('Min', [hi, p.d]), e.ints([-3])]));
    }
    let value = '';
    nodes.forEach((node, j) => {
      const operands = node.input.map((v, i) => (through[j] !== -1 && i === through[j] ? value : (inputs.get(v) ?? v)));
      value = e.op(node.opType, operands, node.attribute);
    });
    results.push(value);
  }
  e.nodes.push(create(NodeProtoSchema, { opType: 'Concat', input: results, output: [last.output[0]], name: e.name('Concat_node'), attribute: [attr.int('axis', -3)] }));
}

/** The length of `v`'s axis −3 as a 1-D int64 tensor (1 when `v` has rank < 3). */
function axis3Size(e: Emitter, v: string, rank3: boolean): string {
  const shape = e.op('Shape', [v]);
  const padded = rank3 ? shape : e.op('Concat', [e.ints([1, 1, 1]), shape], [attr.int('axis', 0)]);
  return e.op('Slice', [padded, e.ints([-3]), e.ints([-2])]);
}

/** `v` with leading 1s up to rank 3 (unchanged when its rank is 3 or more): the shape [1, 1, 1, …shape]'s last max(rank, 3) entries. */
function atLeastRank3(e: Emitter, v: string): string {
  const shape = e.op('Shape', [v]);
  const padded = e.op('Concat', [e.ints([1, 1, 1]), shape], [attr.int('axis', 0)]);
  const keep = e.op('Max', [e.op('Shape', [shape]), e.ints([3])]);
  return e.op('Reshape', [v, e.op('Slice', [padded, e.op('Neg', [keep]), e.ints([Number.MAX_SAFE_INTEGER])])]);
}

/** A value's dims as the graph's structure fixes them: a number where known, null where not. */
type Dims = (number | null)[];

/** True when the dims have no axis −3 or a length of 1 there. */
function unitAtAxis3(dims: Dims | null): boolean {
  return dims !== null && (dims.length < 3 || dims[dims.length - 3] === 1);
}

const SAME_SHAPE = new Set(['Cast', 'Neg', 'Sqrt', 'Exp', 'Erf', 'Tanh', 'Relu', 'Sigmoid', 'Not', 'Identity', 'Softmax', 'Abs', 'Reciprocal', 'Floor', 'Ceil', 'IsNaN', 'IsInf']);
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Where', 'Max', 'Min', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Mod']);

/**
 * The static dims of `value` (null when its rank is not known): constants and graph inputs as declared, then
 * through shape-preserving, broadcasting and reshaping ops — enough to see that a mask built from the attention
 * mask by Unsqueeze, or cut from a constant causal table, has length 1 on the heads axis.
 */
function staticShape(graph: Graph, value: string, memo: Map<string, Dims | null>, depth = 0): Dims | null {
  if (memo.has(value)) return memo.get(value)!;
  let dims: Dims | null = null;
  const t = graph.constantTensor(value);
  if (t) dims = t.dims.map(Number);
  else if (graph.isGraphInput(value)) {
    const v = graph.proto.input.find((x) => x.name === value)?.type?.value;
    if (v?.case === 'tensorType' && v.value.shape) dims = v.value.shape.dim.map((d) => (d.value.case === 'dimValue' ? Number(d.value.value) : null));
  } else {
    const node = graph.producer(value);
    if (node && isDefaultDomain(node) && depth < 32) dims = derivedShape(graph, node, (v) => (v ? staticShape(graph, v, memo, depth + 1) : null));
  }
  memo.set(value, dims);
  return dims;
}

function derivedShape(graph: Graph, node: NodeProto, of: (v: string) => Dims | null): Dims | null {
  const op = node.opType;
  const x = () => of(node.input[0]);
  const ints = (v: string | undefined) => (v ? graph.constantNumbers(v) : undefined);
  if (SAME_SHAPE.has(op)) return x();
  if (BROADCAST.has(op)) return broadcast(node.input.filter(Boolean).map(of));
  if (op === 'Shape') {
    const r = x();
    return r && !node.attribute.length ? [r.length] : [null];
  }
  if (op === 'Unsqueeze') {
    const r = x();
    const axes = attrInts(node, 'axes') ?? ints(node.input[1]);
    if (!r || !axes) return null;
    const rank = r.length + axes.length;
    const at = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
    const out: Dims = [];
    for (let i = 0, j = 0; i < rank; i++) out.push(at.has(i) ? 1 : r[j++]);
    return out;
  }
  if (op === 'Squeeze') {
    const r = x();
    const axes = attrInts(node, 'axes') ?? ints(node.input[1]);
    if (!r || !axes) return null;
    const drop = new Set(axes.map((a) => (a < 0 ? a + r.length : a)));
    return r.filter((_, i) => !drop.has(i));
  }
  if (op === 'Reshape' || op === 'ConstantOfShape' || op === 'Expand') {
    const shapeInput = op === 'ConstantOfShape' ? node.input[0] : node.input[1];
    const target = ints(shapeInput);
    const length = target?.length ?? of(shapeInput)?.[0] ?? null;
    if (length === null) return null;
    if (op === 'ConstantOfShape') return target ? target : Array<number | null>(length).fill(null);
    if (op === 'Expand') return broadcast([x(), target ? target : Array<number | null>(length).fill(null)]);
    const r = x();
    // Reshape: 0 copies the input's length there (unless allowzero), −1 is inferred.
    return target ? target.map((d, i) => (d > 0 ? d : d === 0 && !attrInt(node, 'allowzero') && r ? (r[i] ?? null) : null)) : Array<number | null>(length).fill(null);
  }
  if (op === 'Transpose') {
    const r = x();
    if (!r) return null;
    const perm = attrInts(node, 'perm') ?? r.map((_, i) => r.length - 1 - i);
    return perm.map((p) => r[p] ?? null);
  }
  if (op === 'Slice') {
    const r = x();
    if (!r) return null;
    const starts = of(node.input[1]);
    const axes = node.input[3] ? ints(node.input[3]) : starts?.[0] != null ? Array.from({ length: starts[0] }, (_, i) => i) : undefined;
    if (!axes) return r.map(() => null);
    const cut = new Set(axes.map((a) => (a < 0 ? a + r.length : a)));
    return r.map((d, i) => (cut.has(i) ? null : d));
  }
  if (op === 'Concat') {
    const inputs = node.input.map(of);
    if (inputs.some((d) => !d) || !inputs.length) return null;
    const rank = inputs[0]!.length;
    const axis = attrInt(node, 'axis', 0);
    const a = axis < 0 ? axis + rank : axis;
    return Array.from({ length: rank }, (_, i) => {
      if (i === a) return inputs.every((d) => d![i] != null) ? inputs.reduce((n, d) => n + d![i]!, 0) : null;
      return inputs.find((d) => d![i] != null)?.[i] ?? null;
    });
  }
  if (op === 'Gather') {
    const data = x();
    const indices = of(node.input[1]);
    if (!data || !indices) return null;
    const axis = attrInt(node, 'axis', 0);
    const a = axis < 0 ? axis + data.length : axis;
    return [...data.slice(0, a), ...indices, ...data.slice(a + 1)];
  }
  return null;
}

/** Numpy-style broadcasting of static dims; null when a rank is unknown. */
function broadcast(inputs: (Dims | null)[]): Dims | null {
  if (inputs.some((d) => !d)) return null;
  const rank = Math.max(0, ...inputs.map((d) => d!.length));
  return Array.from({ length: rank }, (_, i) => {
    const at = inputs.map((d) => d![d!.length - rank + i]).filter((v) => v !== undefined);
    const known = at.filter((v): v is number => v !== null);
    if (known.some((v) => v !== 1)) return known.find((v) => v !== 1)!;
    return at.length === known.length ? 1 : null;
  });
}
