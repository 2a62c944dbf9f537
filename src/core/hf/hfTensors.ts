import { SubcloneError } from '../errors';
import { attrInt } from '../graph/attributes';
import type { OnnxModel } from '../onnx/onnxModel';
import type { TensorProto } from '../onnx/proto';
import { tensorDims } from '../onnx/tensorValues';
import { quote } from '../quote';
import { fromOnnxDataType, dtypeBits } from '../safetensors/format';
import type { SafetensorsTensor } from '../safetensors/writer';
import type { HfParameter } from './hfLayout';

/**
 * The safetensors tensors of HF parameters read from `model`'s initializers, in the model's own dtype (fp16 stays
 * fp16). Each tensor's bytes are produced only when the writer asks for them, so one tensor at a time is in memory.
 */
export function hfTensors(model: OnnxModel, params: readonly HfParameter[]): SafetensorsTensor[] {
  const byName = new Map(model.graph.initializer.map((t) => [t.name, t]));
  return params.map((param) => {
    const t = byName.get(param.source);
    if (!t) throw new SubcloneError('BadModel', `the weight ${quote(param.source)} of ${param.name} is not in ${model.file ?? 'the model'}`);
    const p = param.layout !== 'as-is' && param.inAxis === undefined ? { ...param, ...graphAxes(model, param.source) } : param;
    const dtype = fromOnnxDataType(t.dataType);
    const shape = hfShape(p, tensorDims(t));
    const byteLength = shape.reduce((n, d) => n * d, 1) * (dtypeBits(dtype) / 8);
    return { name: p.name, dtype, shape, byteLength, chunks: () => [arranged(model, t, p, dtypeBits(dtype) / 8)] };
  });
}

const WEIGHT_PASS_OPS = new Set(['Transpose', 'Cast', 'CastLike', 'Identity']);

/**
 * A 2-D weight's input and output axes, from the MatMul (x·W: [in, out]) or Gemm (transB: [out, in]) that takes it
 * as its second operand, through Transposes (each swaps them), Casts and Identities.
 */
function graphAxes(model: OnnxModel, weight: string): { inAxis: number; outAxis: number } {
  let value = weight;
  let swapped = false;
  for (let step = 0; step < 8; step++) {
    const use = model.graph.node.find((n) => n.input.includes(value));
    if (!use) break;
    if (WEIGHT_PASS_OPS.has(use.opType) && use.input[0] === value) {
      if (use.opType === 'Transpose') swapped = !swapped;
      value = use.output[0];
      continue;
    }
    if (use.input.indexOf(value) !== 1 || (use.opType !== 'MatMul' && use.opType !== 'Gemm')) break;
    const inAxis = (use.opType === 'Gemm' && attrInt(use, 'transB', 0) ? 1 : 0) ^ (swapped ? 1 : 0);
    return { inAxis, outAxis: 1 - inAxis };
  }
  throw new SubcloneError('BadModel', `no MatMul or Gemm takes ${quote(weight)} as its weight, so which of its axes is the input is unknown`);
}

function hfShape(p: HfParameter, dims: number[]): number[] {
  if (p.layout === 'as-is') return p.rows ? [p.rows[1] - p.rows[0], ...dims.slice(1)] : dims;
  if (dims.length !== 2) throw new SubcloneError('BadModel', `${p.name} comes from a weight of rank ${dims.length}; a linear layer's is 2`);
  const out = p.rows ? p.rows[1] - p.rows[0] : dims[p.outAxis!];
  const inn = dims[p.inAxis!];
  return p.layout === 'linear' ? [out, inn] : [inn, out];
}

/** The parameter's bytes in HF order: the part of the output axis it takes, transposed where the layouts differ. */
function arranged(model: OnnxModel, t: TensorProto, p: HfParameter, elem: number): Uint8Array {
  const bytes = model.tensorBytes(t);
  const dims = tensorDims(t);
  if (p.layout === 'as-is') {
    if (!p.rows) return bytes;
    const row = dims.slice(1).reduce((n, d) => n * d, 1) * elem;
    return bytes.slice(p.rows[0] * row, p.rows[1] * row);
  }
  const [r0, r1] = p.rows ?? [0, dims[p.outAxis!]];
  const outFirst = p.layout === 'linear';
  if (p.outAxis === (outFirst ? 0 : 1) && (p.outAxis === 0 || (r0 === 0 && r1 === dims[1]))) {
    // Stored as HF wants it: the rows are one contiguous range (or all of it).
    const row = dims[1] * elem;
    return p.outAxis === 0 ? bytes.slice(r0 * row, r1 * row) : bytes;
  }
  const width = dims[1];
  const nOut = r1 - r0;
  const nIn = dims[p.inAxis!];
  const src = elementView(bytes, elem);
  const dst = elementView(new Uint8Array(nOut * nIn * elem), elem);
  for (let o = 0; o < nOut; o++) {
    for (let i = 0; i < nIn; i++) {
      const from = p.outAxis === 0 ? (r0 + o) * width + i : i * width + (r0 + o);
      dst[outFirst ? o * nIn + i : i * nOut + o] = src[from];
    }
  }
  return new Uint8Array(dst.buffer);
}

function elementView(bytes: Uint8Array, elem: number): Uint8Array | Uint16Array | Uint32Array | Float64Array {
  const aligned = bytes.byteOffset % elem === 0 ? bytes : bytes.slice();
  switch (elem) {
    case 1: return aligned;
    case 2: return new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2);
    case 4: return new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.length / 4);
    case 8: return new Float64Array(aligned.buffer, aligned.byteOffset, aligned.length / 8);
    default: throw new SubcloneError('Unsupported', `${elem}-byte elements cannot be rearranged`);
  }
}
