import { SubcloneError } from '../errors';
import { quote } from '../quote';
import type { BlockMap, LinearInfo, NormInfo, TransformerMap } from '../recognize/transformerMap';

/**
 * Where each Hugging Face parameter of a family comes from in a recognised ONNX graph: the parameter names and
 * orientations of the family's modeling code (transformers' modeling_gpt2.py, modeling_llama.py / mistral / qwen2,
 * modeling_gpt_neox.py, modeling_bert.py / roberta, modeling_vit.py / deit), taken from the recognised roles, never from the ONNX initializer names (an export may have lost them).
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
   * biases, embedding tables [rows, width], class tokens, a patch Conv2d's [out, in, kh, kw]).
   */
  layout: 'linear' | 'conv1d' | 'as-is';
  /**
   * For 'linear'/'conv1d': the source's input and output axes. Absent for a square hidden × hidden weight whose
   * axes the recognised roles do not tell apart (a pooler, a masked-LM head transform): hfTensors reads them from
   * the MatMul or Gemm that uses it.
   */
  inAxis?: number;
  outAxis?: number;
}

/** The HF model type of each recognised family or variant written as an HF checkpoint (docs/subclone-output.md). */
const MODEL_TYPES: Readonly<Record<string, string>> = {
  gpt2: 'gpt2',
  llama: 'llama',
  mistral: 'mistral',
  qwen2: 'qwen2',
  'gpt-neox': 'gpt_neox',
  bert: 'bert',
  roberta: 'roberta',
  vit: 'vit',
  deit: 'deit',
};

/** The class-name stem of each model type (transformers' `<Stem>ForCausalLM`, `<Stem>Model`, …). */
const CLASS_STEMS: Readonly<Record<string, string>> = { gpt2: 'GPT2', llama: 'Llama', mistral: 'Mistral', qwen2: 'Qwen2', gpt_neox: 'GPTNeoX', bert: 'Bert', roberta: 'Roberta', vit: 'ViT', deit: 'DeiT' };

const DECODERS = new Set(['gpt2', 'llama', 'mistral', 'qwen2', 'gpt_neox']);
/** Model types the recogniser sees as one family (the graph does not say which of them it was). */
const LLAMA_TYPES = new Set(['llama', 'mistral', 'qwen2']);
const ENCODERS = new Set(['bert', 'roberta']);

/** The HF class written for a recognised model: its model type and the class `architectures` names. */
export interface HfClass {
  modelType: string;
  architecture: string;
}

/**
 * The HF model type and class of a recognised model, chosen by the graph's head, or why it has none: decoders are
 * causal LMs; BERT / RoBERTa a base model (with the graph's pooler or without) or a masked LM; ViT / DeiT a base
 * model or an image classifier (DeiT: with the distillation head too, or without). The parent's own model type
 * (its config.json's) is kept where the graph cannot tell it from its siblings: a Mistral or a LLaMA with q/k/v
 * biases is recognised as the LLaMA family, and written as what it was.
 */
export function hfModelType(map: TransformerMap, parentModelType?: unknown): HfClass | { reason: string } {
  const key = map.variant ?? map.family;
  if (!(key in MODEL_TYPES)) return { reason: `writing ${key} as a Hugging Face checkpoint is not supported yet` };
  const recognised = MODEL_TYPES[key];
  const modelType = typeof parentModelType === 'string' && LLAMA_TYPES.has(parentModelType) && LLAMA_TYPES.has(recognised) ? parentModelType : recognised;
  const stem = CLASS_STEMS[modelType];
  const f = map.final;
  const head = f.head;
  const heads = (head ? 1 : 0) + f.extraHeads.length;
  const has = `this one has ${head ? `${heads > 1 ? `${heads} ${head.kind} heads` : `a${head.kind === 'lm' ? 'n' : ''} ${head.kind} head`}${f.headTransform ? ' with a transform before it' : ''}` : 'no head'}${f.pooler ? ' and a pooler' : ''}`;
  if (DECODERS.has(modelType)) {
    if (!head && !f.headTransform && !f.pooler) return { modelType, architecture: `${stem}Model` };
    if (head?.kind !== 'lm' || heads > 1 || f.headTransform || f.pooler) return { reason: `only causal LMs and base models of ${key} are written as Hugging Face folders yet (${has})` };
    return { modelType, architecture: modelType === 'gpt2' ? 'GPT2LMHeadModel' : `${stem}ForCausalLM` };
  }
  if (!head) return { modelType, architecture: `${stem}Model` };
  if (ENCODERS.has(modelType) && head.kind === 'lm' && heads === 1 && f.headTransform?.norm && !f.pooler) return { modelType, architecture: `${stem}ForMaskedLM` };
  if (!ENCODERS.has(modelType) && head.kind === 'classifier' && !f.headTransform && !f.pooler) {
    if (heads === 1) return { modelType, architecture: `${stem}ForImageClassification` };
    if (modelType === 'deit' && heads === 2) return { modelType, architecture: 'DeiTForImageClassificationWithTeacher' };
  }
  const classes = ENCODERS.has(modelType) ? `${stem}Model or ${stem}ForMaskedLM` : `${stem}Model or ${stem}ForImageClassification${modelType === 'deit' ? ' (WithTeacher)' : ''}`;
  return { reason: `the Hugging Face classes written for ${key} (${classes}) have no head like this one's (${has})` };
}

/**
 * Whether the family's HF modules have a bias of this name ('*' for a block's index), given the config's bias
 * switches: GPT-2, BERT / RoBERTa every linear and norm; GPT-NeoX all but attention's without attention_bias; ViT /
 * DeiT all but q/k/v's without qkv_bias; the LLaMA family per attention_bias / mlp_bias, Qwen2 q/k/v only, Mistral
 * none; no LM head has one (a masked LM's own bias is cls.predictions.bias / lm_head.bias).
 */
function hfHasBias(modelType: string, config: Record<string, unknown>, name: string): boolean {
  if (DECODERS.has(modelType) && /^(lm_head|embed_out)\.bias$/.test(name)) return false;
  switch (modelType) {
    case 'qwen2':
      return /\.self_attn\.[qkv]_proj\.bias$/.test(name);
    case 'llama':
      return (!!config.attention_bias && /\.self_attn\.[qkvo]_proj\.bias$/.test(name)) || (!!config.mlp_bias && /\.mlp\.\w+_proj\.bias$/.test(name));
    case 'mistral':
      return false;
    case 'gpt_neox':
      return config.attention_bias !== false || !/\.attention\.(query_key_value|dense)\.bias$/.test(name);
    case 'vit':
    case 'deit':
      return config.qkv_bias !== false || !/\.attention\.attention\.(query|key|value)\.bias$/.test(name);
    default:
      return true;
  }
}

/**
 * Why the recognised graph does not fit the family's HF modules, so that a strict load_state_dict would fail, or
 * the checkpoint would leave out weights the graph uses; undefined when it fits. Checked: q/k/v fused as the
 * family's code has them (GPT-2 one c_attn, GPT-NeoX one query_key_value laid out per head, the others separate
 * or split), a gated MLP exactly for the LLaMA family, the norm placement and residual form, biases exactly the
 * modules' own, every parameter the class has present, and no weight of the graph left out.
 * Precondition: hfModelType(map) gave `modelType`.
 */
export function hfLayoutProblem(map: TransformerMap, modelType: string, config: Record<string, unknown>): string | undefined {
  const cls = hfModelType(map, config.model_type);
  if ('reason' in cls) return cls.reason;
  const llamaLike = modelType === 'llama' || modelType === 'mistral' || modelType === 'qwen2';
  for (const b of map.blocks) {
    const { q, k, v } = b.attention;
    const fused = q.weight === k.weight && k.weight === v.weight;
    if (modelType === 'gpt2') {
      const inOrder = !q.segment || (q.segment[0] === 0 && k.segment?.[0] === q.segment[1] && v.segment?.[0] === k.segment[1]);
      if (!fused || !inOrder) return `block ${b.index}'s q, k and v are not one fused c_attn (q, k, v in that order), as GPT-2's Hugging Face code has them`;
    } else if (modelType === 'gpt_neox') {
      if (!fused || !perHead(map, b)) return `block ${b.index}'s q, k and v are not one query_key_value laid out per head ([heads, 3, head width]), as GPT-NeoX's Hugging Face code has them`;
    } else if (!llamaLike && (q.weight === k.weight || k.weight === v.weight || q.weight === v.weight)) {
      return `block ${b.index}'s q, k and v share one weight, and ${modelType}'s Hugging Face code has separate query, key and value`;
    }
    if (llamaLike && !b.mlp.gate) return `block ${b.index} has no gated MLP, and ${modelType}'s Hugging Face code has gate_proj`;
    if (!llamaLike && b.mlp.gate) return `block ${b.index} has a gated MLP, and ${modelType}'s Hugging Face code has none`;
  }
  const placement = ENCODERS.has(modelType) ? 'post' : 'pre';
  if (map.flavour.normPlacement !== placement) return `the graph normalises ${map.flavour.normPlacement === 'post' ? 'after' : 'before'} each residual add, and ${modelType}'s Hugging Face code ${placement === 'post' ? 'after' : 'before'}`;
  if (modelType === 'gpt_neox' && map.flavour.parallelResidual !== (config.use_parallel_residual !== false)) {
    return `the graph's blocks are ${map.flavour.parallelResidual ? '' : 'not '}parallel (attention and MLP on the same input), and config.json has use_parallel_residual: ${config.use_parallel_residual !== false}`;
  }
  if (ENCODERS.has(modelType) && config.position_embedding_type !== undefined && config.position_embedding_type !== 'absolute') {
    return `config.json has position_embedding_type ${JSON.stringify(config.position_embedding_type)}, and the graph's positions are an absolute table`;
  }
  const slots = hfSlots(map, cls.architecture);
  const template = (n: string) => n.replace(/\.\d+\./, '.*.');
  const unique = (names: string[]) => [...new Set(names.map(template))];
  const lacking = unique(slots.filter((s) => !s.source && !s.name.endsWith('.bias')).map((s) => s.name));
  if (lacking.length) return `${cls.architecture}'s Hugging Face modules have parameters this model lacks (${lacking.join(', ')})`;
  const has = new Set(unique(slots.filter((s) => s.source && s.name.endsWith('.bias')).map((s) => s.name)));
  const wanted = new Set(unique(slots.filter((s) => s.name.endsWith('.bias')).map((s) => s.name)).filter((n) => hfHasBias(modelType, config, n)));
  const extra = [...has].filter((n) => !wanted.has(n));
  const missing = [...wanted].filter((n) => !has.has(n));
  if (extra.length) return `the model has biases ${modelType}'s Hugging Face modules do not (${extra.join(', ')})`;
  if (missing.length) return `${modelType}'s Hugging Face modules have biases this model lacks (${missing.join(', ')})`;
  const left = unclaimed(map, slots);
  if (left.length) return `the graph has weights ${cls.architecture} has no place for (${left.slice(0, 4).map(quote).join(', ')}${left.length > 4 ? ', …' : ''})`;
  return undefined;
}

/** Whether a block's fused q/k/v weight is laid out per head, [heads, 3 × head width] on its output axis (GPT-NeoX's). */
function perHead(map: TransformerMap, b: BlockMap): boolean {
  const q = b.attention.q;
  const member = map.groups.find((g) => g.id === `H${b.index}`)?.members.find((m) => m.tensor === q.weight && m.axis === q.outAxis);
  const first = member && 'seq' in member.expr ? member.expr.seq[0] : undefined;
  return !!first && 'group' in first && first.group === `H${b.index}`;
}

/**
 * Weights of the graph no HF parameter comes from: a float initializer with a role, or carrying the hidden width
 * (a classifier on the pooler, say), that is neither written nor a tied copy of a written one. Rotary tables and
 * masks carry neither.
 */
function unclaimed(map: TransformerMap, slots: HfSlot[]): string[] {
  const claimed = new Set(slots.flatMap((s) => (s.source ? [s.source] : [])));
  const hidden = new Set(map.groups.find((g) => g.id === 'D')?.members.map((m) => m.tensor) ?? []);
  const tiedCopy = map.final.head?.tiedTo ? map.final.head.weight : null;
  return map.params.filter((p) => !claimed.has(p.name) && !p.tiedTo && p.name !== tiedCopy && (p.role !== 'other' || hidden.has(p.name))).map((p) => p.name);
}

/**
 * The HF parameters of a recognised model, in the order save_pretrained writes them (the module order). A tied LM
 * head is stored once, as the token table (HF drops the shared copy), and a masked LM's decoder bias once, as
 * cls.predictions.bias / lm_head.bias; rotary tables and causal-mask buffers are not parameters.
 *
 * Precondition: hfModelType(map) gave a class.
 */
export function hfParameters(map: TransformerMap): HfParameter[] {
  const cls = hfModelType(map);
  if ('reason' in cls) throw new SubcloneError('Unsupported', cls.reason);
  return hfSlots(map, cls.architecture).filter((s): s is HfParameter => s.source !== null);
}

/** An HF parameter of the class and where it comes from; source null where the graph has no such tensor. */
type HfSlot = Omit<HfParameter, 'source'> & { source: string | null };

/** Every parameter the HF class has (and every bias its modules could have), with its source in the graph. */
function hfSlots(map: TransformerMap, architecture: string): HfSlot[] {
  switch (map.family) {
    case 'gpt2':
      return decoderNames(gpt2Slots(map), architecture, 'transformer.');
    case 'llama':
      return decoderNames(llamaSlots(map), architecture, 'model.');
    case 'gpt-neox':
      return decoderNames(neoxSlots(map), architecture, 'gpt_neox.');
    case 'bert':
      return bertSlots(map, architecture);
    case 'vit':
      return vitSlots(map, architecture);
  }
}

/** A decoder's base class (GPT2Model, LlamaModel, …) saves its parameters without the base prefix, as HF does. */
function decoderNames(slots: HfSlot[], architecture: string, prefix: string): HfSlot[] {
  if (!architecture.endsWith('Model') || architecture.endsWith('HeadModel')) return slots;
  return slots.map((s) => (s.name.startsWith(prefix) ? { ...s, name: s.name.slice(prefix.length) } : s));
}

/** A linear layer's tensors; without axes (a pooler, a head transform) they are read from the graph (hfTensors). */
type LinearSource = Pick<LinearInfo, 'weight' | 'bias'> & Partial<Pick<LinearInfo, 'inAxis' | 'outAxis'>>;

const asIs = (name: string, source: string | null | undefined): HfSlot[] => [{ name, source: source ?? null, layout: 'as-is' }];
const norm = (prefix: string, n: NormInfo | null | undefined): HfSlot[] => [...asIs(`${prefix}.weight`, n?.weight), ...asIs(`${prefix}.bias`, n?.bias)];
const linear = (prefix: string, l: LinearSource | null | undefined, layout: 'linear' | 'conv1d', rows?: [number, number]): HfSlot[] => [
  { name: `${prefix}.weight`, source: l?.weight ?? null, layout, ...(l?.inAxis !== undefined ? { inAxis: l.inAxis, outAxis: l.outAxis } : {}), ...(rows ? { rows } : {}) },
  { name: `${prefix}.bias`, source: l?.bias ?? null, layout: 'as-is', ...(rows ? { rows } : {}) },
];

/** Whether the LM head shares the token table's values (stored once, as the table). */
const tiedHead = (map: TransformerMap) => !!map.final.head && (map.final.head.tiedTo !== null || map.final.head.weight === map.embedding.token);

/** A decoder's LM head (lm_head, GPT-NeoX's embed_out): nothing when tied, or for the base class. */
function lmHead(map: TransformerMap, name: string): HfSlot[] {
  return !map.final.head || tiedHead(map) ? [] : linear(name, map.final.head, 'linear');
}

function gpt2Slots(map: TransformerMap): HfSlot[] {
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
    ...lmHead(map, 'lm_head'),
  ];
}

function llamaSlots(map: TransformerMap): HfSlot[] {
  const blocks = map.blocks.flatMap((b, i) => {
    const p = `model.layers.${i}`;
    return [
      ...norm(`${p}.input_layernorm`, b.attnNorm),
      ...projections(`${p}.self_attn`, b),
      ...linear(`${p}.self_attn.o_proj`, b.attention.o, 'linear'),
      ...norm(`${p}.post_attention_layernorm`, b.mlpNorm),
      ...linear(`${p}.mlp.gate_proj`, b.mlp.gate, 'linear'),
      ...linear(`${p}.mlp.up_proj`, b.mlp.up, 'linear'),
      ...linear(`${p}.mlp.down_proj`, b.mlp.down, 'linear'),
    ];
  });
  return [...asIs('model.embed_tokens.weight', map.embedding.token), ...blocks, ...norm('model.norm', map.final.norm), ...lmHead(map, 'lm_head')];
}

/** q_proj, k_proj, v_proj: separate in the graph, or the parts of one fused projection (q, then k, then v). */
function projections(prefix: string, b: BlockMap): HfSlot[] {
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

/**
 * GPTNeoXForCausalLM. query_key_value is written whole: its output axis is laid out per head, [heads, 3, head
 * width] (q, k, v of head 0, then of head 1, …), as the graph and HF's code both have it.
 */
function neoxSlots(map: TransformerMap): HfSlot[] {
  const blocks = map.blocks.flatMap((b, i) => {
    const p = `gpt_neox.layers.${i}`;
    return [
      ...norm(`${p}.input_layernorm`, b.attnNorm),
      ...norm(`${p}.post_attention_layernorm`, b.mlpNorm),
      ...linear(`${p}.attention.query_key_value`, b.attention.q, 'linear'),
      ...linear(`${p}.attention.dense`, b.attention.o, 'linear'),
      ...linear(`${p}.mlp.dense_h_to_4h`, b.mlp.up, 'linear'),
      ...linear(`${p}.mlp.dense_4h_to_h`, b.mlp.down, 'linear'),
    ];
  });
  return [...asIs('gpt_neox.embed_in.weight', map.embedding.token), ...blocks, ...norm('gpt_neox.final_layer_norm', map.final.norm), ...lmHead(map, 'embed_out')];
}

/** The HF name prefix of the base model inside a class: none for the base class itself, `bert.`, `vit.`, … */
const basePrefix = (architecture: string, modelType: string) => (architecture.endsWith('Model') ? '' : `${modelType}.`);

/**
 * BertModel / RobertaModel (with the graph's pooler, or without as add_pooling_layer=False saves it), and
 * BertForMaskedLM (cls.predictions.*) / RobertaForMaskedLM (lm_head.*). Post-LN: the attention's norm is
 * attention.output.LayerNorm, the MLP's output.LayerNorm.
 */
function bertSlots(map: TransformerMap, architecture: string): HfSlot[] {
  const roberta = map.variant === 'roberta';
  const p = basePrefix(architecture, roberta ? 'roberta' : 'bert');
  const e = map.embedding;
  const blocks = map.blocks.flatMap((b, i) => {
    const l = `${p}encoder.layer.${i}`;
    const a = b.attention;
    return [
      ...linear(`${l}.attention.self.query`, a.q, 'linear'),
      ...linear(`${l}.attention.self.key`, a.k, 'linear'),
      ...linear(`${l}.attention.self.value`, a.v, 'linear'),
      ...linear(`${l}.attention.output.dense`, a.o, 'linear'),
      ...norm(`${l}.attention.output.LayerNorm`, b.attnNorm),
      ...linear(`${l}.intermediate.dense`, b.mlp.up, 'linear'),
      ...linear(`${l}.output.dense`, b.mlp.down, 'linear'),
      ...norm(`${l}.output.LayerNorm`, b.mlpNorm),
    ];
  });
  const base = [
    ...asIs(`${p}embeddings.word_embeddings.weight`, e.token),
    ...asIs(`${p}embeddings.position_embeddings.weight`, e.position),
    ...asIs(`${p}embeddings.token_type_embeddings.weight`, e.tokenType),
    ...norm(`${p}embeddings.LayerNorm`, e.norm),
    ...blocks,
    ...(map.final.pooler ? linear(`${p}pooler.dense`, map.final.pooler, 'linear') : []),
  ];
  if (!architecture.endsWith('ForMaskedLM')) return base;
  const t = map.final.headTransform;
  const h = map.final.head!;
  const decoder = (name: string): HfSlot[] => (tiedHead(map) ? [] : [linear(name, h, 'linear')[0]]);
  // The decoder's bias is the head's own bias parameter (decoder.bias is the same tensor, dropped on save).
  return roberta
    ? [...base, ...linear('lm_head.dense', t, 'linear'), ...norm('lm_head.layer_norm', t?.norm), ...decoder('lm_head.decoder'), ...asIs('lm_head.bias', h.bias)]
    : [...base, ...linear('cls.predictions.transform.dense', t, 'linear'), ...norm('cls.predictions.transform.LayerNorm', t?.norm), ...decoder('cls.predictions.decoder'), ...asIs('cls.predictions.bias', h.bias)];
}

/**
 * ViTModel / DeiTModel, ViTForImageClassification / DeiTForImageClassification (classifier) and
 * DeiTForImageClassificationWithTeacher (cls_classifier, distillation_classifier). The class token (DeiT: and the
 * distillation token) and the position table are [1, tokens, width], the patch projection a Conv2d's
 * [width, channels, kh, kw], all as stored.
 */
function vitSlots(map: TransformerMap, architecture: string): HfSlot[] {
  const deit = map.variant === 'deit';
  const p = basePrefix(architecture, deit ? 'deit' : 'vit');
  const e = map.embedding;
  const blocks = map.blocks.flatMap((b, i) => {
    const l = `${p}encoder.layer.${i}`;
    const a = b.attention;
    return [
      ...linear(`${l}.attention.attention.query`, a.q, 'linear'),
      ...linear(`${l}.attention.attention.key`, a.k, 'linear'),
      ...linear(`${l}.attention.attention.value`, a.v, 'linear'),
      ...linear(`${l}.attention.output.dense`, a.o, 'linear'),
      ...linear(`${l}.intermediate.dense`, b.mlp.up, 'linear'),
      ...linear(`${l}.output.dense`, b.mlp.down, 'linear'),
      ...norm(`${l}.layernorm_before`, b.attnNorm),
      ...norm(`${l}.layernorm_after`, b.mlpNorm),
    ];
  });
  const f = map.final;
  const heads = architecture.endsWith('WithTeacher')
    ? [...linear('cls_classifier', f.head, 'linear'), ...linear('distillation_classifier', f.extraHeads[0], 'linear')]
    : architecture.endsWith('ForImageClassification')
      ? linear('classifier', f.head, 'linear')
      : [];
  return [
    ...asIs(`${p}embeddings.cls_token`, e.specialTokens[0]),
    ...(deit ? asIs(`${p}embeddings.distillation_token`, e.specialTokens[1]) : []),
    ...asIs(`${p}embeddings.position_embeddings`, e.position),
    ...asIs(`${p}embeddings.patch_embeddings.projection.weight`, e.patch?.weight),
    ...asIs(`${p}embeddings.patch_embeddings.projection.bias`, e.patch?.bias),
    ...blocks,
    ...norm(`${p}layernorm`, f.norm),
    ...(f.pooler ? linear(`${p}pooler.dense`, f.pooler, 'linear') : []),
    ...heads,
  ];
}
