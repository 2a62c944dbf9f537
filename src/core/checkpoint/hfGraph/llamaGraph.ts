import { SubcloneError } from '../../errors';
import { DataType } from '../../onnx/dataType';
import type { ConfigReader } from './configReader';
import { activationField } from './configFields';
import type { FamilySpec } from './family';
import { decoderOutputs } from './outputs';
import {
  activation,
  applyRotary,
  causalMaskAdditive,
  linear,
  mergeHeads,
  repeatKv,
  rmsNorm,
  rotaryCosSin,
  scaledDotProduct,
  sequenceShape,
  splitHeads,
} from './layers';
import { ropeParameters } from './rope';

const CLASSES: Record<string, readonly string[]> = {
  llama: ['LlamaForCausalLM', 'LlamaModel'],
  mistral: ['MistralForCausalLM', 'MistralModel'],
  qwen2: ['Qwen2ForCausalLM', 'Qwen2Model'],
};

/** LlamaConfig / MistralConfig / Qwen2Config fields this build reads, with each class's defaults. */
function llamaSizes(c: ConfigReader, modelType: string) {
  const qwen = modelType === 'qwen2';
  const mistral = modelType === 'mistral';
  const dModel = c.count('hidden_size', 4096);
  const heads = c.count('num_attention_heads', 32);
  const kvHeads = c.count('num_key_value_heads', heads);
  if (heads % kvHeads !== 0) throw new SubcloneError('BadModel', `${c.file}: num_attention_heads ${heads} is not a multiple of num_key_value_heads ${kvHeads}`);
  const headDim = c.has('head_dim') ? c.count('head_dim') : dModel / heads;
  if (!Number.isInteger(headDim)) throw new SubcloneError('BadModel', `${c.file}: hidden_size ${dModel} is not a multiple of num_attention_heads ${heads}`);
  const attentionBias = !qwen && !mistral && c.boolean('attention_bias', false);
  const maxPositions = c.count('max_position_embeddings', mistral ? 4096 * 32 : 2048);
  return {
    vocab: c.count('vocab_size', 32000),
    dModel,
    layers: c.count('num_hidden_layers', 32),
    heads,
    kvHeads,
    headDim,
    ffn: c.count('intermediate_size', 11008),
    activation: activationField(c, 'hidden_act', 'silu'),
    eps: c.positive('rms_norm_eps', 1e-6),
    tied: c.boolean('tie_word_embeddings', false),
    qkvBias: qwen || attentionBias,
    oBias: attentionBias,
    mlpBias: !qwen && !mistral && c.boolean('mlp_bias', false),
    slidingWindow: mistral && c.has('sliding_window') ? c.count('sliding_window') : undefined,
    rope: ropeParameters(c, headDim * c.positive('partial_rotary_factor', 1), c.positive('rope_theta', 10000), maxPositions),
  };
}

/** LLaMA, Mistral and Qwen2 (modeling_llama.py / modeling_mistral.py / modeling_qwen2.py, eager attention). */
export const LLAMA: FamilySpec = {
  modelTypes: ['llama', 'mistral', 'qwen2'],
  prefix: () => 'model',
  architectures: (modelType) => CLASSES[modelType],
  check(c, modelType) {
    c.requireDefault('partial_rotary_factor', [1, 1.0], 'partial_rotary_factor other than 1 for LLaMA-family models');
    if (modelType === 'qwen2' && c.has('use_sliding_window')) c.requireDefault('use_sliding_window', [false], "Qwen2's use_sliding_window");
    llamaSizes(c, modelType);
  },
  build(ctx) {
    const { b, weights: w } = ctx;
    const s = llamaSizes(ctx.config, ctx.modelType);
    const { vocab, dModel: D, heads: H, kvHeads: KV, headDim: hd, ffn: F } = s;
    const inputIds = b.input('input_ids', DataType.INT64, ['batch', 'sequence']);
    const mask = b.input('attention_mask', DataType.INT64, ['batch', 'sequence']);
    const shape = sequenceShape(b, inputIds);
    const table = w.float('model.embed_tokens.weight', [vocab, D]);
    let h = b.within('model/embed_tokens', () => b.op('Gather', [table, inputIds], { axis: 0 }));
    const causal = b.within('model', () => causalMaskAdditive(b, shape, mask, s.slidingWindow));
    const { cos, sin } = b.within('model', () => rotaryCosSin(b, shape.positions, s.rope.invFreq, s.rope.attentionFactor));
    for (let i = 0; i < s.layers; i++) {
      const p = `model.layers.${i}`;
      const param = (n: string, dims: number[]) => w.float(`${p}.${n}`, dims);
      const optional = (on: boolean, n: string, dims: number[]) => (on ? param(n, dims) : null);
      h = b.within(`model/layers.${i}`, () => {
        const x = rmsNorm(b, h, param('input_layernorm.weight', [D]), s.eps);
        const attn = b.within('self_attn', () => {
          const project = (n: string, out: number) => linear(b, x, param(`self_attn.${n}.weight`, [out, D]), optional(s.qkvBias, `self_attn.${n}.bias`, [out]), { in: D, out });
          const q = applyRotary(b, splitHeads(b, project('q_proj', H * hd), H, hd), cos, sin, hd);
          const k = applyRotary(b, splitHeads(b, project('k_proj', KV * hd), KV, hd), cos, sin, hd);
          const v = splitHeads(b, project('v_proj', KV * hd), KV, hd);
          const nRep = H / KV;
          const context = scaledDotProduct(b, q, repeatKv(b, k, KV, nRep, hd), repeatKv(b, v, KV, nRep, hd), { divisors: [Math.sqrt(hd)], additiveMask: causal });
          return linear(b, mergeHeads(b, context, H, hd), param('self_attn.o_proj.weight', [D, H * hd]), optional(s.oBias, 'self_attn.o_proj.bias', [D]), { in: H * hd, out: D });
        });
        const mid = b.op('Add', [h, attn]);
        const y = rmsNorm(b, mid, param('post_attention_layernorm.weight', [D]), s.eps);
        const mlp = b.within('mlp', () => {
          const gate = linear(b, y, param('mlp.gate_proj.weight', [F, D]), optional(s.mlpBias, 'mlp.gate_proj.bias', [F]), { in: D, out: F });
          const up = linear(b, y, param('mlp.up_proj.weight', [F, D]), optional(s.mlpBias, 'mlp.up_proj.bias', [F]), { in: D, out: F });
          const hidden = b.op('Mul', [activation(b, gate, s.activation), up]);
          return linear(b, hidden, param('mlp.down_proj.weight', [D, F]), optional(s.mlpBias, 'mlp.down_proj.bias', [D]), { in: F, out: D });
        });
        return b.op('Add', [mid, mlp]);
      });
    }
    h = b.within('model/norm', () => rmsNorm(b, h, w.float('model.norm.weight', [D]), s.eps));
    decoderOutputs(ctx, h, { base: !ctx.architecture.endsWith('ForCausalLM'), tied: s.tied, table, head: 'lm_head', vocab, dModel: D });
  },
};
