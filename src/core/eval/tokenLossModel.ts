import { create } from '@bufbuild/protobuf';
import { weightedCrossEntropy } from '../autodiff/crossEntropy';
import { Emitter } from '../autodiff/emitter';
import { DataType } from '../onnx/dataType';
import { OnnxModel } from '../onnx/onnxModel';
import { NodeProtoSchema, TypeProtoSchema, ValueInfoProtoSchema, type ValueInfoProto } from '../onnx/proto';

/** The graph inputs and output of a token loss model. */
export const TOKEN_LOSS = { targets: 'eval/targets', weights: 'eval/weights', output: 'eval/nll_sum' } as const;

/** Opset the emitted ops need (ReduceSum with axes as an input). */
export const TOKEN_LOSS_MIN_OPSET = 13;

/**
 * The model with its cross-entropy on `logits` ([batch, sequence, vocab], any float type) computed inside the
 * graph: inputs `eval/targets` (int64 [batch, sequence]) and `eval/weights` (float32 [batch, sequence]) join the
 * model's own, and the one output `eval/nll_sum` is Σ w · (−log softmax(logits)[target]). The logits stay inside
 * onnxruntime, so the memory a loss costs does not grow with the vocabulary. Weights keep their source (the
 * copy shares the model's tensors and external data folder; close() it when done). Precondition: opset ≥ TOKEN_LOSS_MIN_OPSET.
 */
export function tokenLossModel(model: OnnxModel, logits: string): OnnxModel {
  const graph = model.graph;
  const taken = new Set([...graph.node.flatMap((n) => [...n.input, ...n.output, n.name]), ...graph.initializer.map((t) => t.name), ...graph.input.map((v) => v.name)]);
  const e = new Emitter(taken, model.opset('') ?? TOKEN_LOSS_MIN_OPSET, 'eval/');
  // A Cast of float32 logits would copy the largest tensor of the run.
  const declared = graph.output.find((v) => v.name === logits)?.type?.value;
  const isFloat = declared?.case === 'tensorType' && declared.value.elemType === DataType.FLOAT;
  const z = isFloat ? logits : e.cast(logits, DataType.FLOAT);
  const w = e.unsqueeze(TOKEN_LOSS.weights, [2]);
  const { loss } = weightedCrossEntropy(e, z, 3, TOKEN_LOSS.targets, w);
  e.nodes.push(create(NodeProtoSchema, { opType: 'Identity', input: [loss], output: [TOKEN_LOSS.output], name: `${TOKEN_LOSS.output}_node` }));
  const proto = {
    ...model.proto,
    graph: {
      ...graph,
      node: [...graph.node, ...e.nodes],
      initializer: [...graph.initializer, ...e.initializers],
      input: [...graph.input, tokenGrid(TOKEN_LOSS.targets, DataType.INT64), tokenGrid(TOKEN_LOSS.weights, DataType.FLOAT)],
      output: [create(ValueInfoProtoSchema, { name: TOKEN_LOSS.output })],
    },
  };
  return OnnxModel.fromProto(proto, model.baseDir, model.file);
}

/** A [batch, sequence] graph input with symbolic dims. */
function tokenGrid(name: string, elem: number): ValueInfoProto {
  const dim = (param: string) => ({ value: { case: 'dimParam' as const, value: param } });
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, { value: { case: 'tensorType', value: { elemType: elem, shape: { dim: [dim('batch'), dim('sequence')] } } } }),
  });
}
