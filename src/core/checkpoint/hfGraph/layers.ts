import { SubcloneError } from '../../errors';
import { DataType } from '../../onnx/dataType';
import type { GraphBuilder } from './graphBuilder';

/**
 * The pieces every family's graph is made of, written as the PyTorch exporter writes the HF modules in eager mode
 * (so the recogniser meets the patterns it knows from exports): MatMul by a weight, LayerNormalization, RMSNorm as
 * Pow/ReduceMean/Add/Sqrt/Div/Mul, GELU from Erf or Tanh, attention as MatMul/Div/Add/Softmax/MatMul.
 */

/** float32's lowest value, torch.finfo(torch.float32).min: what HF fills masked attention scores with. */
export const FLOAT32_MIN = -3.4028234663852886e38;

/** GPT-2's Conv1D: y = x·W (+ b) with W stored [in, out], a MatMul as torch exports it. */
export function conv1d(b: GraphBuilder, x: string, weight: string, bias: string | null): string {
  const y = b.op('MatMul', [x, weight]);
  return bias ? b.op('Add', [bias, y]) : y;
}

/**
 * nn.Linear: y = x·Wᵀ (+ b) with W stored [out, in], a Gemm with transB on the rows flattened (as torch exports
 * addmm), not a MatMul by a Transpose: onnxruntime would fold the Transpose into a second copy of every weight while
 * the session opens (for a bf16 checkpoint, on top of the float32 copy its Cast folds into).
 */
export function linear(b: GraphBuilder, x: string, weight: string, bias: string | null, dims: { in: number; out: number }): string {
  const rows = b.op('Reshape', [x, b.int64([-1, dims.in])]);
  const y = b.op('Gemm', bias ? [rows, weight, bias] : [rows, weight], { transB: 1 });
  const leading = b.op('Slice', [b.op('Shape', [x]), b.int64([0]), b.int64([-1])]);
  return b.op('Reshape', [y, b.op('Concat', [leading, b.int64([dims.out])], { axis: 0 })]);
}

export function layerNorm(b: GraphBuilder, x: string, weight: string, bias: string | null, epsilon: number): string {
  return b.op('LayerNormalization', bias ? [x, weight, bias] : [x, weight], { axis: -1, epsilon: { float: epsilon } });
}

/** LlamaRMSNorm: weight · x / sqrt(mean(x²) + eps). */
export function rmsNorm(b: GraphBuilder, x: string, weight: string, epsilon: number): string {
  const variance = b.op('ReduceMean', [b.op('Pow', [x, b.float(2)])], { axes: [-1], keepdims: 1 });
  const inverse = b.op('Div', [b.float(1), b.op('Sqrt', [b.op('Add', [variance, b.float(epsilon)])])]);
  return b.op('Mul', [weight, b.op('Mul', [x, inverse])]);
}

/** The activations of transformers' ACT2FN that these families use, by their config names. */
export const ACTIVATIONS = ['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'quick_gelu', 'relu', 'silu', 'swish'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export function isActivation(name: string): name is Activation {
  return (ACTIVATIONS as readonly string[]).includes(name);
}

export function activation(b: GraphBuilder, x: string, act: Activation): string {
  switch (act) {
    case 'gelu': {
      // x · ½ (1 + erf(x / √2)), as torch exports nn.functional.gelu.
      const erf = b.op('Erf', [b.op('Div', [x, b.float(Math.SQRT2)])]);
      return b.op('Mul', [b.op('Mul', [x, b.op('Add', [erf, b.float(1)])]), b.float(0.5)]);
    }
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast': {
      // ½ x (1 + tanh(√(2/π) (x + 0.044715 x³))): the three are one function, written differently.
      const cube = b.op('Mul', [b.float(0.044715), b.op('Pow', [x, b.float(3)])]);
      const inner = b.op('Mul', [b.float(Math.sqrt(2 / Math.PI)), b.op('Add', [x, cube])]);
      return b.op('Mul', [b.op('Mul', [b.float(0.5), x]), b.op('Add', [b.float(1), b.op('Tanh', [inner])])]);
    }
    case 'quick_gelu':
      return b.op('Mul', [x, b.op('Sigmoid', [b.op('Mul', [b.float(1.702), x])])]);
    case 'relu':
      return b.op('Relu', [x]);
    case 'silu':
    case 'swish':
      return b.op('Mul', [x, b.op('Sigmoid', [x])]);
    default: {
      const never: never = act;
      throw new SubcloneError('Unsupported', `not supported yet: activation ${String(never)}`);
    }
  }
}

/** Scalars of the input's shape: batch and sequence length (int64 scalars). */
export interface SequenceShape {
  batch: string;
  length: string;
  /** 0, 1, …, length − 1 (int64, [T]). */
  positions: string;
}

export function sequenceShape(b: GraphBuilder, input: string): SequenceShape {
  const shape = b.op('Shape', [input]);
  const batch = b.op('Gather', [shape, b.int64([0], [])], { axis: 0 });
  const length = b.op('Gather', [shape, b.int64([1], [])], { axis: 0 });
  const positions = b.op('Range', [b.int64([0], []), length, b.int64([1], [])]);
  return { batch, length, positions };
}

/** The causal pattern [T, T] as bool: key j visible from query i when j ≤ i (and i − j < window, with a window). */
export function causalVisible(b: GraphBuilder, positions: string, slidingWindow?: number): string {
  const rows = b.op('Unsqueeze', [positions, b.int64([1])]); // [T, 1]
  const cols = b.op('Unsqueeze', [positions, b.int64([0])]); // [1, T]
  const visible = b.op('LessOrEqual', [cols, rows]);
  if (slidingWindow === undefined) return visible;
  // Mistral: keys at or before i − window are masked too.
  const tooOld = b.op('LessOrEqual', [cols, b.op('Sub', [rows, b.int64([slidingWindow], [])])]);
  return b.op('And', [visible, b.op('Not', [tooOld])]);
}

/** HF's extended padding mask: (1 − attention_mask) · min, shaped [B, 1, 1, T] to add to the scores. */
export function paddingMaskAdditive(b: GraphBuilder, attentionMask: string): string {
  const m = b.op('Cast', [b.op('Unsqueeze', [attentionMask, b.int64([1, 2])])], { to: DataType.FLOAT });
  return b.op('Mul', [b.op('Sub', [b.float(1), m]), b.float(FLOAT32_MIN)]);
}

/**
 * LLaMA-style 4-D mask [B, 1, T, T]: 0 where key j is visible from query i (causal, in the window, not padding),
 * float32 min elsewhere.
 */
export function causalMaskAdditive(b: GraphBuilder, shape: SequenceShape, attentionMask: string, slidingWindow?: number): string {
  const visible = b.op('Unsqueeze', [causalVisible(b, shape.positions, slidingWindow), b.int64([0, 1])]); // [1, 1, T, T]
  const padded = b.op('Equal', [b.op('Unsqueeze', [attentionMask, b.int64([1, 2])]), b.int64([0], [])]); // [B, 1, 1, T]
  const masked = b.op('Or', [b.op('Not', [visible]), padded]);
  return b.op('Where', [masked, b.float(FLOAT32_MIN), b.float(0)]);
}

/** [B, T, H·hd] → [B, H, T, hd]. */
export function splitHeads(b: GraphBuilder, x: string, heads: number, headDim: number): string {
  return b.op('Transpose', [b.op('Reshape', [x, b.int64([0, 0, heads, headDim])])], { perm: [0, 2, 1, 3] });
}

/** [B, H, T, hd] → [B, T, H·hd]. */
export function mergeHeads(b: GraphBuilder, x: string, heads: number, headDim: number): string {
  return b.op('Reshape', [b.op('Transpose', [x], { perm: [0, 2, 1, 3] }), b.int64([0, 0, heads * headDim])]);
}

/** repeat_kv: [B, KV, T, hd] → [B, KV · nRep, T, hd], each KV head repeated for its group of query heads. */
export function repeatKv(b: GraphBuilder, x: string, kvHeads: number, nRep: number, headDim: number): string {
  if (nRep === 1) return x;
  const expanded = b.op('Expand', [b.op('Unsqueeze', [x, b.int64([2])]), b.int64([1, 1, nRep, 1, 1])]);
  return b.op('Reshape', [expanded, b.int64([0, kvHeads * nRep, -1, headDim])]);
}

export interface AttentionOptions {
  /** Scores are divided by each of these in turn (√head_dim usually; GPT-2 also by the layer's number). */
  divisors?: readonly number[];
  /** Scores are multiplied by this (GPT-NeoX's 1 / norm_factor). */
  multiplier?: number;
  /** Bool [.., T, T]: scores where false are replaced by float32 min (GPT-2's and GPT-NeoX's causal buffer). */
  causalWhere?: string;
  /** Added to the scores before the softmax ([B, 1, 1, T] or [B, 1, T, T]). */
  additiveMask?: string;
}

/** softmax(q·kᵀ scaled + masks)·v on [B, H, T, hd] inputs; returns [B, H, T, hd]. */
export function scaledDotProduct(b: GraphBuilder, q: string, k: string, v: string, o: AttentionOptions): string {
  let scores = b.op('MatMul', [q, b.op('Transpose', [k], { perm: [0, 1, 3, 2] })]);
  if (o.multiplier !== undefined) scores = b.op('Mul', [scores, b.float(o.multiplier)]);
  for (const d of o.divisors ?? []) scores = b.op('Div', [scores, b.float(d)]);
  if (o.causalWhere) scores = b.op('Where', [o.causalWhere, scores, b.float(FLOAT32_MIN)]);
  if (o.additiveMask) scores = b.op('Add', [scores, o.additiveMask]);
  return b.op('MatMul', [b.op('Softmax', [scores], { axis: -1 }), v]);
}

/** rotate_half: concat(−x[..., d/2:], x[..., :d/2]) on the last axis of width `dims`. */
function rotateHalf(b: GraphBuilder, x: string, dims: number): string {
  const half = dims / 2;
  const x1 = b.op('Slice', [x, b.int64([0]), b.int64([half]), b.int64([-1])]);
  const x2 = b.op('Slice', [x, b.int64([half]), b.int64([dims]), b.int64([-1])]);
  return b.op('Concat', [b.op('Neg', [x2]), x1], { axis: -1 });
}

/** x·cos + rotate_half(x)·sin on the last axis (width `dims`; cos and sin broadcast to x). */
export function applyRotary(b: GraphBuilder, x: string, cos: string, sin: string, dims: number): string {
  return b.op('Add', [b.op('Mul', [x, cos]), b.op('Mul', [rotateHalf(b, x, dims), sin])]);
}

/**
 * cos and sin [T, dims] of the rotary embedding at positions 0 … T−1: freqs = position · inv_freq, emb =
 * concat(freqs, freqs), as LlamaRotaryEmbedding computes them at run time (no table, so no length limit in the
 * graph). `attentionFactor` scales both (YaRN).
 */
export function rotaryCosSin(b: GraphBuilder, positions: string, invFreq: Float32Array, attentionFactor = 1): { cos: string; sin: string } {
  return b.within('rotary_emb', () => {
    const pos = b.op('Unsqueeze', [b.op('Cast', [positions], { to: DataType.FLOAT }), b.int64([1])]); // [T, 1]
    const freqs = b.op('Mul', [pos, b.float([...invFreq], [invFreq.length])]); // [T, dims/2]
    const emb = b.op('Concat', [freqs, freqs], { axis: -1 });
    let cos = b.op('Cos', [emb]);
    let sin = b.op('Sin', [emb]);
    if (attentionFactor !== 1) {
      cos = b.op('Mul', [cos, b.float(attentionFactor)]);
      sin = b.op('Mul', [sin, b.float(attentionFactor)]);
    }
    return { cos, sin };
  });
}

/** Row `index` of axis 1: [B, T, D] → [B, D] (the CLS token). */
export function token(b: GraphBuilder, x: string, index: number): string {
  return b.op('Gather', [x, b.int64([index], [])], { axis: 1 });
}
