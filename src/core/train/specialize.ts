import { clone, create, toBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { attr } from '../autodiff/emitter';
import { elemFromOrtType, valueInfoProto, type TensorInfo } from '../autodiff/tensorInfo';
import { SubcloneError, errorMessage } from '../errors';
import { Graph } from '../graph/graph';
import { staticValues } from '../graph/staticValues';
import { OnnxModel } from '../onnx/onnxModel';
import {
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProtoSchema,
  ValueInfoProtoSchema,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from '../onnx/proto';
import { valueSpec } from '../onnx/valueInfo';
import { tensorDims } from '../onnx/tensorValues';
import { openSession } from '../runtime/ortSession';
import type { TrainingTarget } from './target';
import { resolveTiedCopy, type TiedCopy } from './tiedCopies';
import { quote } from '../quote';

/** Training graphs need ScatterND with reduction (opset 16); older graphs are read at 16, which changes no op they use. */
export const MIN_TRAINING_OPSET = 16;

export interface SpecialiseOptions {
  /** Keep tied copies as separate parameters (to check each copy's own gradient); default: tie them in the graph. */
  untied?: boolean;
}

export interface Specialised {
  /** The forward graph: inputs are the model's real inputs then the parameters, the one output the target's. */
  proto: ModelProto;
  /** The parameters fed each step, in input order. */
  params: { name: string; info: TensorInfo }[];
  /** Stored copies computed from their parameter inside the graph. */
  copies: TiedCopy[];
  /** The default-domain opset of the graph. */
  opset: number;
}

/**
 * Turns a model into a forward graph for training at one static batch shape: parameters become graph inputs (tied
 * copies become a Transpose/Identity of the trained parameter), only the target output stays, and every value that
 * depends only on constants and input shapes (the shape plumbing, baked masks, rotary tables) is computed once by
 * onnxruntime and stored as an initializer. `feeds` gives one example value for every real input the graph reads.
 */
export async function specialise(model: OnnxModel, target: TrainingTarget, feeds: Record<string, ort.Tensor>, options: SpecialiseOptions = {}): Promise<Specialised> {
  const initializers = new Map(model.graph.initializer.map((t) => [t.name, t]));
  const copies: TiedCopy[] = [];
  const trained: string[] = [];
  for (const p of target.params) {
    const t = initializers.get(p.name);
    if (!t) throw new SubcloneError('BadModel', `parameter ${quote(p.name)} is not an initializer of the model`);
    if (p.copyOf && !options.untied) {
      const of = initializers.get(p.copyOf);
      if (!of) throw new SubcloneError('BadModel', `parameter ${quote(p.name)} is a copy of ${quote(p.copyOf)}, which is not an initializer`);
      copies.push(resolveTiedCopy(model, t, of));
    } else {
      trained.push(p.name);
    }
  }
  const opset = Math.max(model.opset() ?? 0, MIN_TRAINING_OPSET);
  const params = trained.map((name) => ({ name, info: { dims: tensorDims(initializers.get(name)!), elem: initializers.get(name)!.dataType } }));
  const proto = workingProto(model, target, feeds, params, copies, opset);
  const working = OnnxModel.fromProto(proto, model.baseDir);
  const graph = new Graph(working);
  graph.cleanup();
  graph.toposort();
  await foldStatic(graph, feeds);
  graph.cleanup();
  graph.validate();
  return { proto, params, copies, opset };
}

function workingProto(
  model: OnnxModel,
  target: TrainingTarget,
  feeds: Record<string, ort.Tensor>,
  params: { name: string; info: TensorInfo }[],
  copies: TiedCopy[],
  opset: number,
): ModelProto {
  const src = model.graph;
  const removed = new Set([...params.map((p) => p.name), ...copies.map((c) => c.copy)]);
  const initNames = new Set(src.initializer.map((t) => t.name));
  const realInputs = src.input.filter((v) => !initNames.has(v.name));
  for (const v of realInputs) {
    if (!feeds[v.name]) throw new SubcloneError('BadArgument', `no batch value for the model input ${quote(v.name)}`);
  }
  const inputs = [
    ...realInputs.map((v) => valueInfoProto(v.name, { dims: [...feeds[v.name].dims], elem: elemFromOrtType(feeds[v.name].type) })),
    ...params.map((p) => valueInfoProto(p.name, p.info)),
  ];
  const tieNodes: NodeProto[] = copies.map((c) =>
    create(NodeProtoSchema, {
      opType: c.transposed ? 'Transpose' : 'Identity',
      input: [c.of],
      output: [c.copy],
      name: `tie/${c.copy}`,
      attribute: c.transposed ? [attr.ints('perm', [1, 0])] : [],
    }),
  );
  const opsets = model.proto.opsetImport.map((o) =>
    create(OperatorSetIdProtoSchema, { domain: o.domain, version: o.domain === '' || o.domain === 'ai.onnx' ? BigInt(opset) : o.version }),
  );
  if (!opsets.some((o) => o.domain === '' || o.domain === 'ai.onnx')) opsets.push(create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(opset) }));
  return create(ModelProtoSchema, {
    irVersion: model.proto.irVersion < 8n ? 8n : model.proto.irVersion,
    producerName: 'subclone-train',
    opsetImport: opsets,
    graph: create(GraphProtoSchema, {
      name: `${src.name || 'model'}-train`,
      node: [...tieNodes, ...src.node.map((n) => clone(NodeProtoSchema, n))],
      initializer: src.initializer.filter((t) => !removed.has(t.name)).map((t) => model.inlined(t)),
      input: inputs,
      output: [create(ValueInfoProtoSchema, { name: target.output })],
    }),
  });
}


/**
 * Replaces every static value read by a non-static node with an initializer holding its value, then drops the
 * static nodes. Precondition: the graph is topologically sorted and parameters are graph inputs (so nothing that
 * depends on them counts as static).
 */
async function foldStatic(graph: Graph, feeds: Record<string, ort.Tensor>): Promise<void> {
  const isStatic = staticValues(graph);
  const frontier = new Set<string>();
  for (const node of graph.nodes) {
    if (node.output.every((o) => !o || isStatic.has(o))) continue;
    for (const i of node.input) if (i && isStatic.has(i) && !graph.initializer(i)) frontier.add(i);
  }
  for (const o of graph.proto.output) if (isStatic.has(o.name) && !graph.initializer(o.name)) frontier.add(o.name);
  if (frontier.size) {
    const values = await evaluate(graph, [...frontier], feeds);
    for (const t of values) graph.addInitializer(t);
  }
  graph.proto.node = graph.nodes.filter((n) => !n.output.every((o) => !o || isStatic.has(o)));
  graph.invalidate();
}

/** Runs the static part of the graph once and returns the requested values as initializers. */
async function evaluate(graph: Graph, wanted: string[], feeds: Record<string, ort.Tensor>): Promise<TensorProto[]> {
  const needed = new Set<NodeProto>();
  const stack = [...wanted];
  const seen = new Set<string>();
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    const node = graph.producer(v);
    if (!node || needed.has(node)) continue;
    needed.add(node);
    stack.push(...node.input.filter(Boolean));
  }
  // Each result leaves through an Identity: onnxruntime's float16 cast insertion mishandles a graph output that a
  // Cast node produces directly.
  const exits = wanted.map((name, k) =>
    create(NodeProtoSchema, { opType: 'Identity', input: [name], output: [`__static_${k}`], name: `__static_${k}_node` }),
  );
  const nodes = [...graph.nodes.filter((n) => needed.has(n)), ...exits];
  const used = new Set(nodes.flatMap((n) => n.input));
  const inputs = graph.proto.input.filter((v) => used.has(v.name));
  const sub = create(ModelProtoSchema, {
    irVersion: graph.model.proto.irVersion,
    opsetImport: graph.model.proto.opsetImport,
    graph: create(GraphProtoSchema, {
      name: 'static',
      node: nodes,
      initializer: graph.proto.initializer.filter((t) => used.has(t.name)).map((t) => graph.model.inlined(t)),
      input: inputs,
      output: exits.map((n) => create(ValueInfoProtoSchema, { name: n.output[0] })),
    }),
  });
  const subFeeds: Record<string, ort.Tensor> = {};
  // Parameters reach static values only through Shape: zeros of their shape stand in for them.
  for (const v of inputs) subFeeds[v.name] = feeds[v.name] ?? zeroTensor(v);
  const { session } = await openSession(toBinary(ModelProtoSchema, sub), { provider: 'cpu', optimization: 'basic' });
  try {
    const result = await session.run(subFeeds);
    return wanted.map((name, k) => tensorProtoOf(name, result[`__static_${k}`]));
  } catch (e) {
    throw new SubcloneError('Runtime', `computing the graph's shape-dependent constants failed: ${errorMessage(e)}`, { cause: e });
  } finally {
    await session.release();
  }
}

function zeroTensor(v: ValueInfoProto): ort.Tensor {
  const spec = valueSpec(v);
  const dims = (spec.shape ?? []).map((d) => (typeof d === 'number' ? d : 0));
  const n = dims.reduce((p, d) => p * d, 1);
  const type = spec.dtype as ort.Tensor.Type;
  const data = type === 'float32' ? new Float32Array(n) : type === 'float16' ? new Uint16Array(n) : type === 'float64' ? new Float64Array(n) : undefined;
  if (!data) throw new SubcloneError('Unsupported', `parameter ${quote(v.name)} has type ${spec.dtype}`);
  return new ort.Tensor(type, data, dims);
}

function tensorProtoOf(name: string, t: ort.Tensor): TensorProto {
  const data = t.data as ArrayBufferView;
  const bytes = new Uint8Array(data.byteLength);
  bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  const elem = elemFromOrtType(t.type);
  if (elem < 0 || t.type === 'string') throw new SubcloneError('Unsupported', `the static value ${quote(name)} has type ${t.type}`);
  return create(TensorProtoSchema, { name, dataType: elem, dims: t.dims.map((d) => BigInt(d)), rawData: bytes });
}
