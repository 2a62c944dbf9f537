/**
 * The precise map of a recognised transformer: what the recognizer produces and what importance, subcloning,
 * training and the extension read. Everything refers to the parent's own graph by value and initializer names.
 */
import type { ValueSpec } from '../onnx/valueInfo';
import type { AxisExpr, AxisMember, ConstantMember, Poly, ShapeConstraint } from '../coupling/couplingTypes';

export type { AxisExpr, AxisMember, ConstantMember, Poly, ShapeConstraint };

export type Family = 'gpt2' | 'gpt-neox' | 'bert' | 'vit' | 'llama';

/** The fixed keys scripts and the extension rely on (`subclone inspect --json` → `dims`). */
export interface Dims {
  layers: number;
  dModel: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  /** One number, or one per block when blocks differ. */
  ffn: number | number[];
  /** Null for vision models. */
  vocab: number | null;
  /** Maximum positions; null when unbounded (e.g. rotary without a baked limit). */
  context: number | null;
}

export interface Flavour {
  norm: 'layernorm' | 'rmsnorm';
  normPlacement: 'pre' | 'post';
  /** LayerNormalization/RMS op vs ReduceMean/Sub/Pow/Sqrt/Div chains. */
  normForm: 'fused' | 'decomposed';
  activation: 'gelu_erf' | 'gelu_tanh' | 'gelu_sigmoid' | 'silu' | 'relu';
  gatedMlp: boolean;
  position: 'learned' | 'rotary' | 'none';
  tokenTypes: boolean;
  /** Null when the model has no head. */
  tiedHead: boolean | null;
  fusedQkv: boolean;
  parallelResidual: boolean;
  biases: boolean;
  head: 'lm' | 'classifier' | 'pooler' | 'none';
  kvCache: boolean;
}

/** A linear layer: y = x·W (+ b), W stored [in, out] (MatMul) or [out, in] (Gemm transB=1, or a Transpose node). */
export interface LinearInfo {
  node: string;
  weight: string;
  bias: string | null;
  /** The weight initializer's axis that is the input (fan-in) side. */
  inAxis: number;
  /** The weight initializer's axis that is the output side. */
  outAxis: number;
  /** For fused projections, the part of the output axis this role uses: [start, end). */
  segment?: [number, number];
}

export interface NormInfo {
  kind: 'layernorm' | 'rmsnorm';
  weight: string | null;
  bias: string | null;
  epsilon: number;
  input: string;
  output: string;
}

export interface AttentionMap {
  q: LinearInfo;
  k: LinearInfo;
  v: LinearInfo;
  o: LinearInfo;
  heads: number;
  kvHeads: number;
  headDim: number;
  /** The scale applied to scores (1/sqrt(head_dim) usually), and the constant holding it when there is one. */
  scale: { value: number; constant: string | null } | null;
  /** Per-head context entering the output projection, laid out [B, T, H*headDim] (heads major). */
  context: string;
  /** The attention's contribution to the residual stream (output projection result, bias included). */
  update: string;
}

export interface MlpMap {
  up: LinearInfo;
  gate: LinearInfo | null;
  down: LinearInfo;
  activation: Flavour['activation'];
  /** The down projection's input [B, T, F] (after the nonlinearity, gated product for gated MLPs). */
  hidden: string;
  /** The MLP's contribution to the residual stream (down projection result, bias included). */
  update: string;
  ffn: number;
}

export interface BlockMap {
  index: number;
  /** Residual stream entering and leaving the block. */
  input: string;
  output: string;
  /** Pre-LN: norm before attention / MLP. Post-LN: norm after each residual add. */
  attnNorm: NormInfo | null;
  mlpNorm: NormInfo | null;
  attention: AttentionMap;
  mlp: MlpMap;
  /** Residual stream between the attention and the MLP (for sequential blocks). */
  mid: string | null;
}

export interface EmbeddingMap {
  token: string | null;
  position: string | null;
  tokenType: string | null;
  /** Patch embedding convolution weight/bias (vision). */
  patch: { weight: string; bias: string | null } | null;
  /** Class / distillation tokens concatenated in front (vision). */
  specialTokens: string[];
  norm: NormInfo | null;
  /** The residual stream entering block 0. */
  output: string;
}

export interface HeadMap {
  kind: 'lm' | 'classifier';
  weight: string;
  bias: string | null;
  inAxis: number;
  outAxis: number;
  /** The graph output the head produces (logits). */
  output: string;
  /** Set when the head shares the token embedding's values (same initializer, or an equal stored copy). */
  tiedTo: string | null;
}

export interface FinalMap {
  norm: NormInfo | null;
  /** The final hidden state (after the final norm when there is one). */
  hidden: string;
  head: HeadMap | null;
  /** Layers between the final hidden state and the head (a masked-LM head's dense + activation + norm). */
  headTransform: { weight: string; bias: string | null; norm: NormInfo | null } | null;
  /** Further heads on the same hidden state (DeiT's distillation head). */
  extraHeads: HeadMap[];
  pooler: { weight: string; bias: string | null; output: string } | null;
}

/** What a parameter is; training uses it for weight decay and random init, the UI for grouping. */
export type ParamRole =
  | 'embedding.token'
  | 'embedding.position'
  | 'embedding.tokenType'
  | 'embedding.patch'
  | 'embedding.patchBias'
  | 'embedding.special'
  | 'norm.weight'
  | 'norm.bias'
  | 'attn.weight'
  | 'attn.bias'
  | 'attn.out.weight'
  | 'attn.out.bias'
  | 'mlp.weight'
  | 'mlp.bias'
  | 'mlp.down.weight'
  | 'mlp.down.bias'
  | 'head.weight'
  | 'head.bias'
  | 'pooler.weight'
  | 'pooler.bias'
  | 'other';

export type Component = 'embedding' | 'attention' | 'mlp' | 'norm' | 'head' | 'pooler' | 'other';

export interface ParamInfo {
  name: string;
  role: ParamRole;
  component: Component;
  block: number | null;
  dims: number[];
  /** Another initializer holding the same values (tied weights stored twice). */
  tiedTo: string | null;
}

/** A dimension subcloning can shrink, and every tensor axis and baked constant that carries it. */
export interface CouplingGroup {
  /** 'D', 'F3' (FFN of block 3), 'H3' (query heads of block 3), 'KV3' (KV groups of block 3). */
  id: string;
  /** For grouped-query attention, 'heads' counts query heads per KV group. */
  kind: 'embedding' | 'ffn' | 'heads' | 'kvGroups';
  block: number | null;
  /** Number of units (D neurons, F neurons, heads, KV groups). */
  size: number;
  /** Initializer axes carrying this group (the expression says where its units sit). */
  members: AxisMember[];
  /** Graph inputs/outputs whose dims carry this group (their declared shapes change with it). */
  io: AxisMember[];
  constants: ConstantMember[];
}

export interface KvCacheEntry {
  block: number;
  pastKey: string;
  pastValue: string;
  presentKey: string;
  presentValue: string;
}

export interface ParameterCounts {
  embedding: number;
  attention: number;
  mlp: number;
  norm: number;
  head: number;
  pooler: number;
  other: number;
  /** Unique parameters (a tied copy counts once). */
  total: number;
}

export interface TransformerMap {
  family: Family;
  /** e.g. 'roberta', 'deit', 'qwen2', 'mistral'; null when plain. */
  variant: string | null;
  dims: Dims;
  flavour: Flavour;
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  embedding: EmbeddingMap;
  blocks: BlockMap[];
  final: FinalMap;
  params: ParamInfo[];
  groups: CouplingGroup[];
  constraints: ShapeConstraint[];
  kvCache: KvCacheEntry[];
  parameterCounts: ParameterCounts;
  /** Things recognised but not fully supported, in words. */
  warnings: string[];
}
