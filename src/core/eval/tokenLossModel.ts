import { create } from '@bufbuild/protobuf';
import { attentionChunksFor, chunkAttention } from '../autodiff/attentionChunks';
import { weightedCrossEntropy } from '../autodiff/crossEntropy';
import { Emitter } from '../autodiff/emitter';
import { DataType } from '../onnx/dataType';
import { OnnxModel } from '../onnx/onnxModel';
import { Graph } from '../graph/graph';
import { NodeProtoSchema, TypeProtoSchema, ValueInfoProtoSchema, type NodeProto, type ValueInfoProto } from '../onnx/proto';

/** The graph inputs and output of a token loss model. */
export const TOKEN_LOSS = { targets: 'eval/targets', weights: 'eval/weights', output: 'eval/nll_sum' } as const;

/** Opset the emitted ops need (ReduceSum with axes as an input). */
export const TOKEN_LOSS_MIN_OPSET = 13;

/**
 * Tokens whose logits one chunk of the head computes (64 × a 50257 vocabulary = 12 MiB of float32 logits). Measured
 * on the 400 MB GPT-2: 256-token chunks (49 MiB of logits, and their exponentials) cost the loss run 20–50 MiB more
 * at peak, in the same CPU time.
 */
export const LOSS_CHUNK_TOKENS = 64;

/** The largest batch the loss model will be run on, which sets how its head is cut into chunks. */
export interface LossBatchShape {
  batch: number;
  sequence: number;
}

/**
 * The model with its cross-entropy on `logits` ([batch, sequence, vocab], any float type) computed inside the
 * graph: inputs `eval/targets` (int64 [batch, sequence]) and `eval/weights` (float32 [batch, sequence]) join the
 * model's own, and the one output `eval/nll_sum` is Σ w · (−log softmax(logits)[target]). The logits stay inside
 * onnxruntime, so the memory a loss costs does not grow with the vocabulary. Weights keep their source (the
 * copy shares the model's tensors and external data folder; close() it when done). Precondition: opset ≥ TOKEN_LOSS_MIN_OPSET.
 *
 * Given the largest batch it will run on, a head that is a per-token chain (a MatMul by a weight, bias adds, casts,
 * scalings) is cloned to run on LOSS_CHUNK_TOKENS-token slices of its input one after another, each slice's loss
 * reduced before the next slice's logits exist: the logits' memory then does not grow with the batch either (a
 * 1024-token batch of the 400 MB GPT-2 held 400 MiB of logits and their exponentials at once). Long sequences also
 * get each attention's scores computed a slice of heads at a time (`attentionChunks`, chunkAttention): the same
 * values, without every head's [query, key] scores alive at once.
 */
export function tokenLossModel(model: OnnxModel, logits: string, largest?: LossBatchShape, chunkTokens = LOSS_CHUNK_TOKENS, attentionChunks = largest ? attentionChunksFor(largest) : 1): OnnxModel {
  const graph = model.graph;
  const taken = new Set([...graph.node.flatMap((n) => [...n.input, ...n.output, n.name]), ...graph.initializer.map((t) => t.name), ...graph.input.map((v) => v.name)]);
  const attention = chunkAttention(model, taken, attentionChunks);
  const e = new Emitter(taken, model.opset('') ?? TOKEN_LOSS_MIN_OPSET, 'eval/');
  // A Cast of float32 logits would copy the largest tensor of the run.
  const declared = graph.output.find((v) => v.name === logits)?.type?.value;
  const isFloat = declared?.case === 'tensorType' && declared.value.elemType === DataType.FLOAT;
  const toFloat = (z: string) => (isFloat ? z : e.cast(z, DataType.FLOAT));
  const w = e.unsqueeze(TOKEN_LOSS.weights, [2]);
  const chain = largest ? perTokenHead(new Graph(model), logits) : undefined;
  const perChunk = largest ? Math.max(1, Math.floor(chunkTokens / largest.batch)) : 0;
  let loss: string;
  if (chain && largest && largest.sequence > perChunk) {
    const losses: string[] = [];
    for (let start = 0; start < largest.sequence; start += perChunk) {
      const slice = (x: string) => e.op('Slice', [x, e.ints([start]), e.ints([start + perChunk]), e.ints([1])]);
      const z = toFloat(cloneChain(e, chain, slice(chain.root)));
      losses.push(weightedCrossEntropy(e, z, 3, slice(TOKEN_LOSS.targets), slice(w)).loss);
    }
    loss = e.op('Sum', losses);
  } else {
    loss = weightedCrossEntropy(e, toFloat(logits), 3, TOKEN_LOSS.targets, w).loss;
  }
  e.nodes.push(create(NodeProtoSchema, { opType: 'Identity', input: [loss], output: [TOKEN_LOSS.output], name: `${TOKEN_LOSS.output}_node` }));
  const proto = {
    ...model.proto,
    graph: {
      ...graph,
      node: [...attention.nodes, ...e.nodes],
      initializer: [...graph.initializer, ...attention.initializers, ...e.initializers],
      input: [...graph.input, tokenGrid(TOKEN_LOSS.targets, DataType.INT64), tokenGrid(TOKEN_LOSS.weights, DataType.FLOAT)],
      output: [create(ValueInfoProtoSchema, { name: TOKEN_LOSS.output })],
    },
  };
  const scored = OnnxModel.fromProto(proto, model.baseDir, model.file);
  // The unchunked head no longer reaches the output.
  if (chain) new Graph(scored).removeDeadNodes();
  return scored;
}

/** A head computed token by token: nodes from `root` ([batch, sequence, width]) to the logits, in order. */
interface HeadChain {
  root: string;
  nodes: NodeProto[];
}

const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div']);

/**
 * The chain of per-token ops that ends in `logits`: a MatMul by a 2-D weight, elementwise ops with a bias or a
 * scalar, Cast and Tanh (soft-capping). Anything else ends the chain; undefined when it holds no MatMul, or an
 * operand that could mix tokens or change the rank.
 */
function perTokenHead(graph: Graph, logits: string): HeadChain | undefined {
  const nodes: NodeProto[] = [];
  let value = logits;
  let matmuls = 0;
  for (;;) {
    const node = graph.producer(value);
    if (!node || node.domain) break;
    let next: string | undefined;
    if (node.opType === 'MatMul' && weightRank(graph, node.input[1]) === 2) {
      next = node.input[0];
      matmuls++;
    } else if (ELEMENTWISE.has(node.opType)) {
      const [a, b] = node.input;
      if ((weightRank(graph, b) ?? 9) <= 1) next = a;
      else if (node.opType !== 'Sub' && node.opType !== 'Div' && (weightRank(graph, a) ?? 9) <= 1) next = b;
    } else if (node.opType === 'Cast' || node.opType === 'Tanh') {
      next = node.input[0];
    }
    if (next === undefined) break;
    nodes.unshift(node);
    value = next;
  }
  return matmuls === 1 ? { root: value, nodes } : undefined;
}

/** The rank of a value computed from initializers alone (an initializer, or a Transpose/Cast of one); else undefined. */
function weightRank(graph: Graph, value: string): number | undefined {
  const t = graph.initializer(value);
  if (t) return t.dims.length;
  const node = graph.producer(value);
  if (node && !node.domain && (node.opType === 'Transpose' || node.opType === 'Cast')) return weightRank(graph, node.input[0]);
  if (node && node.opType === 'Constant') return node.attribute.find((a) => a.name === 'value')?.t?.dims.length;
  return undefined;
}

/** Emits the chain's nodes again on `input` in place of its root; returns the copy's logits. */
function cloneChain(e: Emitter, chain: HeadChain, input: string): string {
  let value = input;
  let from = chain.root;
  for (const node of chain.nodes) {
    const inputs = node.input.map((i) => (i === from ? value : i));
    from = node.output[0];
    value = e.op(node.opType, inputs, node.attribute);
  }
  return value;
}

/** A [batch, sequence] graph input with symbolic dims. */
function tokenGrid(name: string, elem: number): ValueInfoProto {
  const dim = (param: string) => ({ value: { case: 'dimParam' as const, value: param } });
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, { value: { case: 'tensorType', value: { elemType: elem, shape: { dim: [dim('batch'), dim('sequence')] } } } }),
  });
}
