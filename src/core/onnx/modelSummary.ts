import { dataTypeName, isFloatType } from './dataType';
import type { OnnxModel } from './onnxModel';
import { elementCount, tensorDims } from './tensorValues';
import { valueSpec, type ValueSpec } from './valueInfo';

/** What any ONNX model can tell about itself without structure recognition. */
export interface ModelSummary {
  file: string | null;
  /** 'safetensors' for a graph built from a Hugging Face checkpoint (its file is the weights or their index). */
  format: 'onnx' | 'safetensors';
  /** The model's doc string (for a Hugging Face checkpoint: the class built and the tensors it leaves unused). */
  description: string;
  producer: string;
  irVersion: number;
  opsets: Record<string, number>;
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  nodes: number;
  ops: Record<string, number>;
  initializers: number;
  /** Elements of float initializers (the trainable weights). */
  parameters: number;
  /** Weight storage by element type, in bytes. */
  weightBytes: Record<string, number>;
  externalData: boolean;
}

export function summarizeModel(model: OnnxModel): ModelSummary {
  const g = model.graph;
  const initNames = new Set(g.initializer.map((t) => t.name));
  const ops: Record<string, number> = {};
  for (const n of g.node) {
    const key = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType;
    ops[key] = (ops[key] ?? 0) + 1;
  }
  let parameters = 0;
  const weightBytes: Record<string, number> = {};
  for (const t of g.initializer) {
    const count = elementCount(tensorDims(t));
    if (isFloatType(t.dataType)) parameters += count;
    const type = dataTypeName(t.dataType);
    weightBytes[type] = (weightBytes[type] ?? 0) + model.tensorByteLength(t);
  }
  return {
    file: model.file ?? null,
    format: model.file && /\.safetensors(\.index\.json)?$/i.test(model.file) ? 'safetensors' : 'onnx',
    description: model.proto.docString,
    producer: [model.proto.producerName, model.proto.producerVersion].filter(Boolean).join(' '),
    irVersion: Number(model.proto.irVersion),
    opsets: Object.fromEntries(model.proto.opsetImport.map((o) => [o.domain || 'ai.onnx', Number(o.version)])),
    inputs: g.input.filter((v) => !initNames.has(v.name)).map(valueSpec),
    outputs: g.output.map(valueSpec),
    nodes: g.node.length,
    ops,
    initializers: g.initializer.length,
    parameters,
    weightBytes,
    externalData: model.hasExternalData,
  };
}
