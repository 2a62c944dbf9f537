import { create, toBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { appendBackward } from '../autodiff/backward';
import { Emitter } from '../autodiff/emitter';
import { valueInfoProto, type TensorInfo } from '../autodiff/tensorInfo';
import { SubcloneError, throwIfAborted } from '../errors';
import { DataType, isFloatType } from '../onnx/dataType';
import type { OnnxModel } from '../onnx/onnxModel';
import { ModelProtoSchema, NodeProtoSchema, ValueInfoProtoSchema, type GraphProto, type ModelProto } from '../onnx/proto';
import { bytesToNumbers, elementCount } from '../onnx/tensorValues';
import { emitLoss, type LossGraph, type LossKind } from './loss';
import { measureInfo } from './measureInfo';
import { specialise, type SpecialiseOptions } from './specialize';
import type { TrainingTarget } from './target';
import type { TiedCopy } from './tiedCopies';
import { quote } from '../quote';

export interface TrainingGraph {
  /** Forward + loss + gradients. Inputs: batch inputs, loss inputs, parameters. Outputs: `loss`, then one gradient per parameter. */
  train: Uint8Array;
  /** Forward + loss only (evaluation). Same inputs; output `loss`. */
  eval: Uint8Array;
  /** The parameters fed each step (graph inputs). */
  params: { name: string; info: TensorInfo }[];
  /** The output holding each parameter's gradient; parameters the loss does not depend on have none. */
  gradOutputs: Map<string, string>;
  /** Parameters the loss does not depend on (e.g. a pooler when training on the hidden state): left unchanged. */
  unreached: string[];
  /** Stored copies kept equal to their parameter inside the graph. */
  copies: TiedCopy[];
  /** The model inputs the batch feeds, and the loss inputs. */
  batchInputs: string[];
  lossInputs: { name: string; info: TensorInfo }[];
  lossOutput: string;
  lossKind: LossKind;
  /** Static info of the target output. */
  output: TensorInfo;
  /** Node counts, for reports. */
  forwardNodes: number;
  trainNodes: number;
}

export interface TrainingGraphOptions extends SpecialiseOptions {
  /** Defaults from the target kind: cross-entropy for lm/classifier, MSE for hidden. */
  loss?: LossKind;
  signal?: AbortSignal;
}

/** Constants read by gradient rules are shape-sized: larger initializers are never decoded for them. */
const CONSTANT_LIMIT = 4096;

/**
 * Builds the training graph of a model at the static shapes of `feeds` (one example batch of the model's real
 * inputs): the forward graph specialised to those shapes, the loss, and the vector-Jacobian products of every op
 * from the loss back to each parameter, all in standard ONNX ops.
 */
export async function buildTrainingGraph(
  model: OnnxModel,
  target: TrainingTarget,
  feeds: Record<string, ort.Tensor>,
  options: TrainingGraphOptions = {},
): Promise<TrainingGraph> {
  const spec = await specialise(model, target, feeds, options);
  throwIfAborted(options.signal);
  const graph = spec.proto.graph!;
  const forwardNodes = graph.node.length;
  const paramFeeds = parameterFeeds(model, spec.params);
  const info = await measureInfo(spec.proto, { ...feeds, ...paramFeeds });
  throwIfAborted(options.signal);
  const out = info.get(target.output);
  if (!out || !isFloatType(out.elem)) throw new SubcloneError('Unsupported', `the training output ${quote(target.output)} is not a float tensor`);
  const lossKind = options.loss ?? (target.kind === 'hidden' ? 'mse' : 'crossEntropy');
  const batchInputs = graph.input.map((v) => v.name).filter((n) => !spec.params.some((p) => p.name === n));

  const taken = takenNames(graph);
  const lossOutput = freeName(taken, 'loss');
  const e = new Emitter(taken, spec.opset, 'train/');
  const loss = emitLoss(e, target.output, out, lossKind);
  if (loss.seed.value !== target.output) info.set(loss.seed.value, { dims: out.dims, elem: DataType.FLOAT });
  const constants = constantReader(graph);
  const initializerNames = new Set(graph.initializer.map((t) => t.name));
  const { grads, unreached } = appendBackward({
    nodes: [...graph.node, ...e.nodes],
    wrt: spec.params.map((p) => p.name),
    seeds: [loss.seed],
    info,
    constant: constants,
    isConstant: (v) => initializerNames.has(v),
    emitter: e,
  });
  const gradOutputs = new Map<string, string>();
  for (const [param, grad] of grads) {
    const name = freeName(taken, `grad/${param}`);
    gradOutputs.set(param, name);
    e.nodes.push(create(NodeProtoSchema, { opType: 'Identity', input: [grad], output: [name], name: `${name}_out` }));
  }
  e.nodes.push(create(NodeProtoSchema, { opType: 'Identity', input: [loss.loss], output: [lossOutput], name: `${lossOutput}_out` }));
  const train = assemble(spec.proto, graph, e, loss, [lossOutput, ...gradOutputs.values()]);

  const evalEmitter = new Emitter(takenNames(graph), spec.opset, 'eval/');
  const evalLoss = emitLoss(evalEmitter, target.output, out, lossKind, false);
  evalEmitter.nodes.push(create(NodeProtoSchema, { opType: 'Identity', input: [evalLoss.loss], output: [lossOutput], name: `${lossOutput}_out` }));
  const evalBytes = assemble(spec.proto, graph, evalEmitter, evalLoss, [lossOutput]);

  return {
    train: train.bytes,
    eval: evalBytes.bytes,
    params: spec.params,
    gradOutputs,
    unreached,
    copies: spec.copies,
    batchInputs,
    lossInputs: loss.inputs,
    lossOutput,
    lossKind,
    output: out,
    forwardNodes,
    trainNodes: train.nodes,
  };
}

/** Serialises forward + emitted nodes with the loss inputs added. */
function assemble(proto: ModelProto, graph: GraphProto, e: Emitter, loss: LossGraph, outputs: string[]) {
  const inputs = [...graph.input, ...loss.inputs.map((i) => valueInfoProto(i.name, i.info))];
  const nodes = [...graph.node, ...e.nodes];
  const model = create(ModelProtoSchema, {
    irVersion: proto.irVersion,
    producerName: proto.producerName,
    opsetImport: proto.opsetImport,
    graph: {
      name: graph.name,
      node: nodes,
      initializer: [...graph.initializer, ...e.initializers],
      input: inputs,
      output: outputs.map((name) => create(ValueInfoProtoSchema, { name })),
    },
  });
  return { bytes: toBinary(ModelProtoSchema, model), nodes: nodes.length };
}

/** Feeds holding the model's current values of the parameters (views of the initializers, not copies). */
export function parameterFeeds(model: OnnxModel, params: { name: string; info: TensorInfo }[]): Record<string, ort.Tensor> {
  const byName = new Map(model.graph.initializer.map((t) => [t.name, t]));
  const feeds: Record<string, ort.Tensor> = {};
  for (const p of params) {
    const t = byName.get(p.name)!;
    const bytes = model.tensorBytes(t);
    const aligned = bytes.byteOffset % 4 === 0 ? bytes : Uint8Array.from(bytes);
    const n = elementCount(p.info.dims);
    switch (p.info.elem) {
      case DataType.FLOAT: feeds[p.name] = new ort.Tensor('float32', new Float32Array(aligned.buffer, aligned.byteOffset, n), p.info.dims); break;
      case DataType.FLOAT16: feeds[p.name] = new ort.Tensor('float16', new Uint16Array(aligned.buffer, aligned.byteOffset, n), p.info.dims); break;
      case DataType.DOUBLE: feeds[p.name] = new ort.Tensor('float64', Float64Array.from(model.float32(t)), p.info.dims); break;
      default: throw new SubcloneError('Unsupported', `parameter ${quote(p.name)}: training ${p.info.elem === DataType.BFLOAT16 ? 'bfloat16' : 'non-float'} weights is not supported`);
    }
  }
  return feeds;
}

function constantReader(graph: GraphProto): (value: string) => number[] | undefined {
  const byName = new Map(graph.initializer.map((t) => [t.name, t]));
  const cache = new Map<string, number[]>();
  return (value) => {
    const t = byName.get(value);
    if (!t || elementCount(t.dims.map(Number)) > CONSTANT_LIMIT) return undefined;
    let v = cache.get(value);
    if (!v) {
      const bytes = t.rawData.length ? t.rawData : undefined;
      v = bytes ? bytesToNumbers(t.dataType, bytes, value) : [...t.int64Data.map(Number), ...t.int32Data, ...t.floatData, ...t.doubleData];
      cache.set(value, v);
    }
    return v;
  };
}

function takenNames(graph: GraphProto): Set<string> {
  return new Set<string>([
    ...graph.input.map((v) => v.name),
    ...graph.initializer.map((t) => t.name),
    ...graph.node.flatMap((n) => [...n.output, n.name]),
  ]);
}

function freeName(taken: Set<string>, base: string): string {
  let name = base;
  for (let k = 1; taken.has(name); k++) name = `${base}_${k}`;
  taken.add(name);
  return name;
}
