import { create } from '@bufbuild/protobuf';
import { attr, Emitter } from '../autodiff/emitter';
import { chunkAttention } from '../autodiff/attentionChunks';
import { SubcloneError } from '../errors';
import { Graph } from '../graph/graph';
import { DataType } from '../onnx/dataType';
import { OnnxModel } from '../onnx/onnxModel';
import { ModelProtoSchema, TensorProtoSchema, ValueInfoProtoSchema, type NodeProto } from '../onnx/proto';
import type { TransformerMap } from '../recognize/transformerMap';
import { inputRoles } from '../data/inputRoles';
import { layoutOutputs, type StatLayout } from './statLayout';
import { quote } from '../quote';

/** An in-memory copy of the model that returns the importance statistics instead of its own outputs. */
export interface Instrumented {
  model: OnnxModel;
  layout: StatLayout;
}

/**
 * Builds the instrumented copy: the parent's nodes (shared, not edited) plus reduction nodes that turn the
 * residual stream, the MLP hidden activations and the per-head contexts into masked sums, and only those sums as
 * outputs. Nodes that no longer reach an output (the LM head, the pooler) are dropped, so the run does not pay for
 * them. With `attentionChunks` > 1 each attention's scores are computed that many slices of heads at a time
 * (chunkAttention: the same values, a fraction of the memory on long sequences). The parent's model and graph are
 * not modified.
 *
 * Precondition: `map` was recognised from `model` (its value names exist in the graph).
 */
export function instrumentModel(model: OnnxModel, map: TransformerMap, attentionChunks = 1): Instrumented {
  const src = model.graph;
  const opset = model.opset('') ?? 0;
  if (opset < 13) throw new SubcloneError('Unsupported', `opset ${opset}: importance needs opset 13 or newer`);
  const taken = new Set<string>([...src.node.flatMap((n) => [n.name, ...n.input, ...n.output]), ...src.initializer.map((t) => t.name), ...src.input.map((v) => v.name)]);
  for (const value of [map.embedding.output, ...map.blocks.flatMap((b) => [b.input, b.output, b.mlp.hidden, b.attention.context])]) {
    if (!taken.has(value)) throw new SubcloneError('BadModel', `the recognised value ${quote(value)} is not in the graph of ${model.file ?? 'the model'}`);
  }
  // Long sequences: every head's [query, key] scores at once would be the run's largest activations.
  const attention = chunkAttention(model, taken, attentionChunks);
  const e = new Emitter(taken, opset, 'importance/');
  const layout = emitStatistics(e, map);
  const outputs = layoutOutputs(layout);
  const proto = create(ModelProtoSchema, {
    ...model.proto,
    graph: {
      ...src,
      node: executionOrdered(attention.nodes, e.nodes, new Set(outputs), new Set([...src.input.map((v) => v.name), ...src.initializer.map((t) => t.name), ...attention.initializers.map((t) => t.name), ...e.initializers.map((t) => t.name)])),
      initializer: [...src.initializer, ...attention.initializers, ...e.initializers],
      output: outputs.map((name) => create(ValueInfoProtoSchema, { name })),
      valueInfo: [...src.valueInfo],
    },
  });
  const copy = OnnxModel.fromProto(proto, model.baseDir, model.file);
  const graph = new Graph(copy);
  graph.cleanup();
  graph.validate();
  return { model: copy, layout };
}

/** Emits the statistics' nodes block by block, in the order the forward pass produces what they read. */
function emitStatistics(e: Emitter, map: TransformerMap): StatLayout {
  const D = map.dims.dModel;
  const sums = tokenSums(e, map);
  const floats = new Map<string, string>();
  const asFloat = (v: string) => floats.get(v) ?? floats.set(v, e.cast(v, DataType.FLOAT)).get(v)!;
  const norms = new Map<string, string>();
  const norm = (v: string) => norms.get(v) ?? norms.set(v, reduce(e, 'ReduceL2', asFloat(v), [-1])).get(v)!; // [B, T] ‖x‖₂ per token
  const points = [sums.abs(asFloat(map.embedding.output), D)];
  const ffn: string[] = [];
  const heads: string[] = [];
  const blocks: string[] = [];
  for (const b of map.blocks) {
    const { heads: H, headDim } = b.attention;
    const perHead = e.reshape(asFloat(b.attention.context), [-1, H, headDim]); // [N, H, hd]
    heads.push(sums.plain(reduce(e, 'ReduceL2', perHead, [2]), H)); // Σ over tokens of ‖context_h‖₂
    ffn.push(sums.abs(asFloat(b.mlp.hidden), b.mlp.ffn));
    blocks.push(sums.plain(blockMagnitudes(e, asFloat(b.input), asFloat(b.output), norm(b.input), norm(b.output)), 2));
    points.push(sums.abs(asFloat(b.output), D));
  }
  const sizes = { dModel: D, ffn: map.blocks.map((b) => b.mlp.ffn), heads: map.blocks.map((b) => b.attention.heads) };
  return { count: sums.count, points, ffn, heads, blocks, sizes };
}

/** Sums over the counted tokens of a [B, T, …] value flattened to [B·T, width]. */
interface TokenSums {
  /** Σ |x| per column → [1, width]. */
  abs(x: string, width: number): string;
  /** Σ x per column → [1, width]. */
  plain(x: string, width: number): string;
  /** Scalar output: the number of counted tokens. */
  count: string;
}

/**
 * Sums are a row-vector product with the token weights (one GEMV per statistic, cheaper in onnxruntime than
 * reductions over the token axis): the attention mask when the model has one, so padding never counts; ones when
 * it has none.
 */
function tokenSums(e: Emitter, map: TransformerMap): TokenSums {
  const roles = inputRoles(map.inputs.map((v) => ({ name: v.name, dtype: v.dtype, rank: v.shape?.length ?? 0 })));
  const shape = e.op('Shape', [map.embedding.output]); // [B, T, D]
  let weights: string; // [B, T]
  if (roles.mask) {
    // A KV-cache model's mask covers past + current tokens: the current ones are its last T columns.
    const T = e.op('Slice', [shape, e.ints([1]), e.ints([2]), e.ints([0])]);
    const mask = e.cast(roles.mask, DataType.FLOAT);
    weights = e.op('Slice', [mask, e.op('Neg', [T]), e.ints([Number.MAX_SAFE_INTEGER]), e.ints([1])]);
  } else {
    const bt = e.op('Slice', [shape, e.ints([0]), e.ints([2]), e.ints([0])]);
    const one = create(TensorProtoSchema, { dataType: DataType.FLOAT, dims: [1n], rawData: new Uint8Array(Float32Array.of(1).buffer) });
    weights = e.op('ConstantOfShape', [bt], [attr.tensor('value', one)]);
  }
  const row = e.reshape(weights, [1, -1]); // [1, B·T]
  const plain = (x: string, width: number) => e.op('MatMul', [row, e.reshape(x, [-1, width])]);
  return { plain, abs: (x, width) => plain(e.op('Abs', [x]), width), count: e.reduceSum(weights, [0, 1], false) };
}

/**
 * Per token, ‖f‖/‖x_out‖ and 1 − cos(x_in, x_out) with f = x_out − x_in (the block's total residual update; for
 * post-LN blocks the change the block makes to the stream), as [B, T, 2]. Inputs are float32 [B, T, D] values
 * and their per-token norms [B, T].
 */
function blockMagnitudes(e: Emitter, x: string, y: string, normX: string, normY: string): string {
  const update = reduce(e, 'ReduceL2', e.op('Sub', [y, x]), [-1]);
  const relative = e.op('Div', [update, normY]);
  const dot = e.reduceSum(e.op('Mul', [x, y]), [-1], false);
  const cos = e.op('Div', [dot, e.op('Mul', [normX, normY])]);
  const oneMinusCos = e.op('Sub', [e.scalar(1, DataType.FLOAT), cos]);
  return e.op('Concat', [e.unsqueeze(relative, [-1]), e.unsqueeze(oneMinusCos, [-1])], [attr.int('axis', -1)]);
}

/**
 * Orders the nodes so onnxruntime reduces each activation as soon as it exists (and frees it as early as the plain
 * forward pass would) instead of keeping every tapped activation alive until the end of the run. onnxruntime's
 * default execution order is a post-order depth-first walk from the leaf nodes, starting with the leaf of highest
 * node index (its position in this list): so the nodes producing the statistics go last, in reverse, the earliest
 * block's first to be walked; the other emitted nodes sit right after the producers of their inputs.
 *
 * Precondition: `emitted` is in a valid order, block by block in forward order; `outputs` are produced by it.
 */
function executionOrdered(nodes: readonly NodeProto[], emitted: readonly NodeProto[], outputs: Set<string>, available: Set<string>): NodeProto[] {
  const leaves = emitted.filter((n) => n.output.some((o) => outputs.has(o)));
  const inner = emitted.filter((n) => !leaves.includes(n));
  const out: NodeProto[] = [];
  let next = 0;
  const flush = () => {
    while (next < inner.length && inner[next].input.every((i) => !i || available.has(i))) {
      out.push(inner[next]);
      for (const o of inner[next++].output) available.add(o);
    }
  };
  flush();
  for (const node of nodes) {
    out.push(node);
    for (const o of node.output) available.add(o);
    flush();
  }
  if (next < inner.length) throw new SubcloneError('BadModel', `instrumentation reads ${quote(inner[next].input.find((i) => !available.has(i)) ?? '')}, which the graph never produces`);
  return [...out, ...leaves.reverse()];
}

/** ReduceL2 over `axes` without keeping them (axes an attribute before opset 18, an input from 18). */
function reduce(e: Emitter, op: 'ReduceL2', x: string, axes: readonly number[]): string {
  const kd = attr.int('keepdims', 0);
  return e.opset >= 18 ? e.op(op, [x, e.ints(axes)], [kd]) : e.op(op, [x], [attr.ints('axes', axes), kd]);
}
