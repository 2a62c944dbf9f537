import { SubcloneError } from '../errors';
import type { TransformerMap } from '../recognize/transformerMap';
import type { OnnxModel } from '../onnx/onnxModel';
import { writeShardedSafetensors, type ShardedWriteResult } from '../safetensors/shards';
import { subclonedConfig } from './hfConfig';
import { hfLayoutProblem, hfModelType, hfParameters } from './hfLayout';
import { hfTensors } from './hfTensors';

/** The child's sizes, as the HF config states them. */
export interface ChildSizes {
  layers: number;
  dModel: number;
  heads: number;
  kvHeads: number;
  ffn: number | readonly number[];
  headDim: number;
}

/** Whether the child can be written as an HF checkpoint of its family, and if not, why and what would do. */
export type HfPlan = { ok: true; modelType: string } | { ok: false; reason: string };

/**
 * Checked before any work: the family has an HF layout here, the parent has the config.json the child's is made
 * from, the graph fits the family's HF modules (hfLayoutProblem), and the family's config can state the shape (one
 * FFN width and one head count for all blocks, whole KV groups, the head width fixed at hidden / heads in every
 * family but LLaMA and Mistral, GPT-NeoX's rotary dims the same fraction of it).
 */
export function hfPlan(map: TransformerMap, sizes: ChildSizes, parentConfig: Record<string, unknown> | null): HfPlan {
  if (!parentConfig) return { ok: false, reason: 'the parent has no config.json beside it to make the Hugging Face config from' };
  const type = hfModelType(map, parentConfig.model_type);
  if ('reason' in type) return { ok: false, reason: type.reason };
  const misfit = hfLayoutProblem(map, type.modelType, parentConfig);
  if (misfit) return { ok: false, reason: misfit };
  const ffn = typeof sizes.ffn === 'number' ? [sizes.ffn] : [...sizes.ffn];
  if (new Set(ffn).size > 1) {
    const nearest = Math.round(ffn.reduce((a, b) => a + b, 0) / ffn.length);
    return { ok: false, reason: `a Hugging Face ${type.modelType} config holds one FFN width for all blocks, and this shape has ${[...new Set(ffn)].join(', ')} (the nearest uniform shape: --ffn ${nearest})` };
  }
  if (sizes.heads % sizes.kvHeads !== 0) {
    return { ok: false, reason: `${sizes.heads} query heads do not split into ${sizes.kvHeads} KV groups (the nearest that do: --kv-heads ${nearestDivisor(sizes.heads, sizes.kvHeads)})` };
  }
  if (type.modelType !== 'llama' && type.modelType !== 'mistral' && sizes.heads * sizes.headDim !== sizes.dModel) {
    const heads = sizes.dModel / sizes.headDim;
    const hint = Number.isInteger(heads) ? ` (with --dim ${sizes.dModel}, --heads ${heads} keeps the head width ${sizes.headDim})` : '';
    return { ok: false, reason: `a Hugging Face ${type.modelType} config makes the head width hidden size / heads = ${sizes.dModel} / ${sizes.heads}${Number.isInteger(sizes.dModel / sizes.heads) ? ` = ${sizes.dModel / sizes.heads}` : ''}, and these heads are ${sizes.headDim} wide${hint}` };
  }
  if (type.modelType === 'gpt_neox') {
    // The config states rotary dims as a fraction of the head width; the graph rotates the parent's count.
    const pct = rotaryFraction(parentConfig);
    const graph = Math.floor(map.dims.headDim * pct);
    const child = Math.floor(sizes.headDim * pct);
    if (child !== graph) return { ok: false, reason: `a Hugging Face gpt_neox config rotates ${pct} of each head's ${sizes.headDim} dims (${child}), and the graph rotates ${graph}` };
  }
  return { ok: true, modelType: type.modelType };
}

/** Why shapes of one model would be written as ONNX only (hfShapeProblems). */
export interface HfShapeProblems {
  /** Why no shape of this model can be written as a Hugging Face checkpoint, or null. */
  model: string | null;
  /**
   * Why this uniform shape (with these kept blocks, when known) is written as ONNX only although the model itself
   * has a Hugging Face layout; null when both formats fit, or when `model` already says why none does.
   */
  shape(shape: Omit<ChildSizes, 'headDim'>, blocks?: readonly number[] | null): string | null;
}

/** hfPlan for the shapes a picker offers (the model's head width), with the reasons that hold for the whole model said once. */
export function hfShapeProblems(map: TransformerMap, parentConfig: Record<string, unknown> | null): HfShapeProblems {
  const reason = (s: Omit<ChildSizes, 'headDim'>) => {
    const plan = hfPlan(map, { ...s, headDim: map.dims.headDim }, parentConfig);
    return plan.ok ? null : plan.reason;
  };
  // The parent's own shape (its widest FFN) fails only for what no shape of this model could change.
  const d = map.dims;
  const model = reason({ layers: d.layers, dModel: d.dModel, heads: d.heads, kvHeads: d.kvHeads, ffn: Array.isArray(d.ffn) ? Math.max(...d.ffn) : d.ffn });
  return {
    model,
    shape: (s, blocks) => (model ? null : reason(s) ?? (blocks && parentConfig ? hfBlocksProblem(parentConfig, blocks) ?? null : null)),
  };
}

/**
 * Why the kept blocks cannot be stated by the family's HF config, or undefined: GPT-2 with
 * scale_attn_by_inverse_layer_idx divides each block's scores by its position + 1, so a block that moves (block 3
 * kept as the child's block 1) would be scaled differently by the HF code than by the parent and the ONNX child.
 */
export function hfBlocksProblem(parentConfig: Record<string, unknown>, kept: readonly number[]): string | undefined {
  if (parentConfig.scale_attn_by_inverse_layer_idx !== true || kept.every((b, i) => b === i)) return undefined;
  return `config.json's scale_attn_by_inverse_layer_idx divides each block's attention scores by its position + 1, and the kept blocks [${kept.join(', ')}] move (only the first blocks, --blocks first, keep their positions)`;
}

/** GPT-NeoX's rotary fraction of the head width: rotary_pct, or rope_parameters' / rope_scaling's partial_rotary_factor (default 0.25). */
function rotaryFraction(config: Record<string, unknown>): number {
  const nested = [config.rope_parameters, config.rope_scaling].map((r) => (r && typeof r === 'object' ? (r as Record<string, unknown>).partial_rotary_factor : undefined));
  const value = [config.rotary_pct, ...nested].find((v) => typeof v === 'number');
  return typeof value === 'number' ? value : 0.25;
}

function nearestDivisor(n: number, near: number): number {
  let best = 1;
  for (let d = 1; d <= n; d++) if (n % d === 0 && Math.abs(d - near) < Math.abs(best - near)) best = d;
  return best;
}

/**
 * Writes the child as a Hugging Face checkpoint into `folder`: model.safetensors (sharded above 5 GB, with an
 * index, as save_pretrained does) with the family's parameter names, and config.json: the parent's, with the
 * child's sizes in the family's own fields and every other field kept.
 *
 * Preconditions: `modelType` is what hfPlan gave for these sizes; `map` describes `child` (the child's blocks, its
 * initializer names). `options.maxShardBytes`: the most bytes in one shard (default 5 GB).
 */
export function writeHfCheckpoint(folder: string, child: OnnxModel, map: TransformerMap, sizes: ChildSizes, parentConfig: Record<string, unknown>, modelType: string, options: { maxShardBytes?: number | undefined } = {}): { weights: ShardedWriteResult; config: Record<string, unknown> } {
  const weights = writeShardedSafetensors(folder, hfTensors(child, hfParameters(map)), { metadata: { format: 'pt' }, ...(options.maxShardBytes !== undefined ? { maxShardBytes: options.maxShardBytes } : {}) });
  return { weights, config: hfConfigOf(modelType, map, sizes, parentConfig) };
}

/**
 * The size fields each family's HF config class reads (GPT2Config; LlamaConfig, MistralConfig, Qwen2Config;
 * GPTNeoXConfig, BertConfig, RobertaConfig, ViTConfig, DeiTConfig).
 */
const GPT2_SIZE_FIELDS = ['n_layer', 'n_embd', 'n_head', 'n_inner'];
const LLAMA_SIZE_FIELDS = ['num_hidden_layers', 'hidden_size', 'num_attention_heads', 'num_key_value_heads', 'intermediate_size'];
const MHA_SIZE_FIELDS = ['num_hidden_layers', 'hidden_size', 'num_attention_heads', 'intermediate_size'];

/** The child's config.json (returned for the caller to write with the rest of the folder). */
function hfConfigOf(modelType: string, map: TransformerMap, sizes: ChildSizes, parent: Record<string, unknown>): Record<string, unknown> {
  const ffn = typeof sizes.ffn === 'number' ? sizes.ffn : sizes.ffn[0];
  const llama = modelType === 'llama' || modelType === 'mistral' || modelType === 'qwen2';
  const fields = modelType === 'gpt2' ? GPT2_SIZE_FIELDS : llama ? [...LLAMA_SIZE_FIELDS, ...(sizes.heads * sizes.headDim !== sizes.dModel ? ['head_dim'] : [])] : MHA_SIZE_FIELDS;
  // Fields the parent's config leaves out (or null, as GPT-2's n_inner may be) get a place, which subclonedConfig fills.
  const withFields: Record<string, unknown> = { ...parent };
  for (const f of fields) if (withFields[f] === undefined || withFields[f] === null) withFields[f] = 0;
  const out = subclonedConfig(withFields, { layers: sizes.layers, dModel: sizes.dModel, heads: sizes.heads, kvHeads: sizes.kvHeads, ffn: [ffn], headDim: sizes.headDim });
  const cls = hfModelType(map, parent.model_type);
  if ('reason' in cls) throw new SubcloneError('Unsupported', cls.reason);
  // GPT-2's n_inner null (or absent) means 4 × n_embd: kept so when the child's FFN is that wide.
  if (modelType === 'gpt2' && (parent.n_inner === null || parent.n_inner === undefined) && ffn === 4 * sizes.dModel) {
    if (parent.n_inner === null) out.n_inner = null;
    else delete out.n_inner;
  }
  out.model_type = modelType;
  out.architectures = [cls.architecture];
  // Only an LM head can be tied to the token table; other classes keep the parent's setting.
  const head = map.final.head;
  if (head?.kind === 'lm') out.tie_word_embeddings = head.tiedTo !== null || head.weight === map.embedding.token;
  return out;
}
