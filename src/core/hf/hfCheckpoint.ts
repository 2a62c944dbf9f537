import type { TransformerMap } from '../recognize/transformerMap';
import type { OnnxModel } from '../onnx/onnxModel';
import { writeShardedSafetensors, type ShardedWriteResult } from '../safetensors/shards';
import { subclonedConfig } from './hfConfig';
import { HF_FAMILIES, hfLayoutProblem, hfModelType, hfParameters } from './hfLayout';
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
 * FFN width and one head count for all blocks, whole KV groups, GPT-2's head width fixed at n_embd / n_head).
 */
export function hfPlan(map: TransformerMap, sizes: ChildSizes, parentConfig: Record<string, unknown> | null): HfPlan {
  const type = hfModelType(map);
  if ('reason' in type) return { ok: false, reason: type.reason };
  if (!parentConfig) return { ok: false, reason: 'the parent has no config.json beside it to make the Hugging Face config from' };
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
    return { ok: false, reason: `a Hugging Face ${type.modelType} config makes the head width hidden size / heads = ${sizes.dModel / sizes.heads}, and these heads are ${sizes.headDim} wide${hint}` };
  }
  return { ok: true, modelType: type.modelType };
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
 * initializer names).
 */
export function writeHfCheckpoint(folder: string, child: OnnxModel, map: TransformerMap, sizes: ChildSizes, parentConfig: Record<string, unknown>, modelType: string): { weights: ShardedWriteResult; config: Record<string, unknown> } {
  const weights = writeShardedSafetensors(folder, hfTensors(child, hfParameters(map)), { metadata: { format: 'pt' } });
  return { weights, config: hfConfigOf(modelType, map, sizes, parentConfig) };
}

/** The size fields each family's HF config class reads (GPT2Config; LlamaConfig, MistralConfig, Qwen2Config). */
const GPT2_SIZE_FIELDS = ['n_layer', 'n_embd', 'n_head', 'n_inner'];
const LLAMA_SIZE_FIELDS = ['num_hidden_layers', 'hidden_size', 'num_attention_heads', 'num_key_value_heads', 'intermediate_size'];

/** The child's config.json (returned for the caller to write with the rest of the folder). */
function hfConfigOf(modelType: string, map: TransformerMap, sizes: ChildSizes, parent: Record<string, unknown>): Record<string, unknown> {
  const ffn = typeof sizes.ffn === 'number' ? sizes.ffn : sizes.ffn[0];
  const fields = modelType === 'gpt2' ? GPT2_SIZE_FIELDS : [...LLAMA_SIZE_FIELDS, ...(sizes.heads * sizes.headDim !== sizes.dModel ? ['head_dim'] : [])];
  // Fields the parent's config leaves out (or null, as GPT-2's n_inner may be) get a place, which subclonedConfig fills.
  const withFields: Record<string, unknown> = { ...parent };
  for (const f of fields) if (withFields[f] === undefined || withFields[f] === null) withFields[f] = 0;
  const out = subclonedConfig(withFields, { layers: sizes.layers, dModel: sizes.dModel, heads: sizes.heads, kvHeads: sizes.kvHeads, ffn: [ffn], headDim: sizes.headDim });
  out.model_type = modelType;
  out.architectures = [HF_FAMILIES[modelType].architecture];
  out.tie_word_embeddings = map.final.head?.tiedTo !== null || map.final.head?.weight === map.embedding.token;
  return out;
}
