import type { BlockMap, LinearInfo, NormInfo, TransformerMap } from '../recognize/transformerMap';

/**
 * Where each Hugging Face parameter of a family comes from in a recognised ONNX graph: the parameter names and
 * orientations of the family's modeling code (transformers' modeling_gpt2.py, modeling_llama.py / mistral / qwen2),
 * taken from the recognised roles, never from the ONNX initializer names (an export may have lost them).
 */
export interface HfParameter {
  /** The HF state-dict name. */
  name: string;
  /** The ONNX initializer holding the values. */
  source: string;
  /** Rows of the source's output axis this parameter takes (a fused projection's part); whole when absent. */
  rows?: [number, number];
  /**
   * 'linear': nn.Linear's [out, in]; 'conv1d': GPT-2's Conv1D [in, out]; 'as-is': the tensor as stored (norms,
   * biases, embedding tables [rows, width]).
   */
  layout: 'linear' | 'conv1d' | 'as-is';
  /** For 'linear'/'conv1d': the source's input and output axes. */
  inAxis?: number;
  outAxis?: number;
}

/** The families written as HF checkpoints, and the HF classes they map to (docs/hf-checkpoints.md). */
export const HF_FAMILIES: Readonly<Record<string, { modelType: string; architecture: string }>> = {
  gpt2: { modelType: 'gpt2', architecture: 'GPT2LMHeadModel' },
  llama: { modelType: 'llama', architecture: 'LlamaForCausalLM' },
  mistral: { modelType: 'mistral', architecture: 'MistralForCausalLM' },
  qwen2: { modelType: 'qwen2', architecture: 'Qwen2ForCausalLM' },
};

/** The HF model type of a recognised model, or why it has none yet. */
export function hfModelType(map: TransformerMap): { modelType: string } | { reason: string } {
  const key = map.family === 'llama' ? map.variant ?? 'llama' : map.family;
  if (!(key in HF_FAMILIES)) return { reason: `writing ${map.variant ?? map.family} as a Hugging Face checkpoint is not supported yet` };
  if (map.final.head?.kind !== 'lm') return { reason: `only causal-LM checkpoints of ${key} are written as Hugging Face folders yet (this one has ${map.final.head ? `a ${map.final.head.kind} head` : 'no head'})` };
  return { modelType: HF_FAMILIES[key].modelType };
}

/** Biases each family's HF modules have ('*' for a block's index), given the config's bias switches. */
function hfBiases(modelType: string, config: Record<string, unknown>): Set<string> {
  const block = (prefix: string, names: string[]) => names.map((n) => `${prefix}.*.${n}.bias`);
  const attention = (names: string[]) => block('model.layers', names.map((n) => `self_attn.${n}_proj`));
  switch (modelType) {
    case 'gpt2':
      return new Set(['transformer.ln_f.bias', ...block('transformer.h', ['ln_1', 'attn.c_attn', 'attn.c_proj', 'ln_2', 'mlp.c_fc', 'mlp.c_proj'])]);
    case 'qwen2':
      return new Set(attention(['q', 'k', 'v']));
    case 'llama':
      return new Set([...(config.attention_bias ? attention(['q', 'k', 'v', 'o']) : []), ...(config.mlp_bias ? block('model.layers', ['mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj']) : [])]);
    default:
      return new Set();
  }
}

/**
 * Why the recognised graph does not fit the family's HF modules, so that a strict load_state_dict would fail
 * (q/k/v not one fused c_attn in GPT-2's order, no gate_proj, biases the modules do not have or lack); undefined
 * when it fits. Precondition: hfModelType(map) gave `modelType`.
 */
export function hfLayoutProblem(map: TransformerMap, modelType: string, config: Record<string, unknown>): string | undefined {
  for (const b of map.blocks) {
    const { q, k, v } = b.attention;
    if (modelType === 'gpt2') {
      const inOrder = !q.segment || (q.segment[0] === 0 && k.segment?.[0] === q.segment[1] && v.segment?.[0] === k.segment[1]);
      if (q.weight !== k.weight || k.weight !== v.weight || !inOrder) return `block ${b.index}'s q, k and v are not one fused c_attn (q, k, v in that order), as GPT-2's Hugging Face code has them`;
    } else if (!b.mlp.gate) {
      return `block ${b.index} has no gated MLP, and ${modelType}'s Hugging Face code has gate_proj`;
    }
  }
  const has = new Set(hfParameters(map).filter((p) => p.name.endsWith('.bias')).map((p) => p.name.replace(/\.\d+\./, '.*.')));
  const wanted = hfBiases(modelType, config);
  const extra = [...has].filter((n) => !wanted.has(n));
  const missing = [...wanted].filter((n) => !has.has(n));
  if (extra.length) return `the model has biases ${modelType}'s Hugging Face modules do not (${extra.join(', ')})`;
  if (missing.length) return `${modelType}'s Hugging Face modules have biases this model lacks (${missing.join(', ')})`;
  return undefined;
}

/**
 * The HF parameters of a recognised model, in the order save_pretrained writes them (the module order). A tied LM
 * head is stored once, as the token table (HF drops the shared copy); rotary tables and causal-mask buffers are
 * not parameters.
 *
 * Precondition: hfModelType(map) gave a model type.
 */
export function hfParameters(map: TransformerMap): HfParameter[] {
  return map.family === 'gpt2' ? gpt2Parameters(map) : llamaParameters(map);
}

const asIs = (name: string, source: string | null): HfParameter[] => (source ? [{ name, source, layout: 'as-is' }] : []);
const norm = (prefix: string, n: NormInfo | null): HfParameter[] => (n ? [...asIs(`${prefix}.weight`, n.weight), ...asIs(`${prefix}.bias`, n.bias)] : []);
const linear = (prefix: string, l: LinearInfo, layout: 'linear' | 'conv1d', rows?: [number, number]): HfParameter[] => [
  { name: `${prefix}.weight`, source: l.weight, layout, inAxis: l.inAxis, outAxis: l.outAxis, ...(rows ? { rows } : {}) },
  ...(l.bias ? [{ name: `${prefix}.bias`, source: l.bias, layout: 'as-is' as const, ...(rows ? { rows } : {}) }] : []),
];

function head(map: TransformerMap): HfParameter[] {
  const h = map.final.head!;
  if (h.tiedTo || h.weight === map.embedding.token) return [];
  return linear('lm_head', { node: '', weight: h.weight, bias: h.bias, inAxis: h.inAxis, outAxis: h.outAxis }, 'linear');
}

function gpt2Parameters(map: TransformerMap): HfParameter[] {
  const blocks = map.blocks.flatMap((b, i) => {
    const p = `transformer.h.${i}`;
    const a = b.attention;
    return [
      ...norm(`${p}.ln_1`, b.attnNorm),
      // c_attn is one fused Conv1D: q, k and v side by side on its output axis, as the export keeps them.
      ...linear(`${p}.attn.c_attn`, a.q, 'conv1d'),
      ...linear(`${p}.attn.c_proj`, a.o, 'conv1d'),
      ...norm(`${p}.ln_2`, b.mlpNorm),
      ...linear(`${p}.mlp.c_fc`, b.mlp.up, 'conv1d'),
      ...linear(`${p}.mlp.c_proj`, b.mlp.down, 'conv1d'),
    ];
  });
  return [
    ...asIs('transformer.wte.weight', map.embedding.token),
    ...asIs('transformer.wpe.weight', map.embedding.position),
    ...blocks,
    ...norm('transformer.ln_f', map.final.norm),
    ...head(map),
  ];
}

function llamaParameters(map: TransformerMap): HfParameter[] {
  const blocks = map.blocks.flatMap((b, i) => {
    const p = `model.layers.${i}`;
    return [
      ...norm(`${p}.input_layernorm`, b.attnNorm),
      ...projections(`${p}.self_attn`, b),
      ...linear(`${p}.self_attn.o_proj`, b.attention.o, 'linear'),
      ...norm(`${p}.post_attention_layernorm`, b.mlpNorm),
      ...linear(`${p}.mlp.gate_proj`, b.mlp.gate!, 'linear'),
      ...linear(`${p}.mlp.up_proj`, b.mlp.up, 'linear'),
      ...linear(`${p}.mlp.down_proj`, b.mlp.down, 'linear'),
    ];
  });
  return [...asIs('model.embed_tokens.weight', map.embedding.token), ...blocks, ...norm('model.norm', map.final.norm), ...head(map)];
}

/** q_proj, k_proj, v_proj: separate in the graph, or the parts of one fused projection (q, then k, then v). */
function projections(prefix: string, b: BlockMap): HfParameter[] {
  const a = b.attention;
  const fused = a.q.weight === a.k.weight;
  const q = a.heads * a.headDim;
  const kv = a.kvHeads * a.headDim;
  const part = (l: LinearInfo, start: number, size: number): [number, number] | undefined => (fused ? l.segment ?? [start, start + size] : l.segment);
  return [
    ...linear(`${prefix}.q_proj`, a.q, 'linear', part(a.q, 0, q)),
    ...linear(`${prefix}.k_proj`, a.k, 'linear', part(a.k, q, kv)),
    ...linear(`${prefix}.v_proj`, a.v, 'linear', part(a.v, q + kv, kv)),
  ];
}
