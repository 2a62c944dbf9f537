import { DataType } from '../../onnx/dataType';
import type { ConfigReader } from './configReader';
import { activationField, headSplit } from './configFields';
import type { FamilySpec } from './family';
import { decoderOutputs } from './outputs';
import {
  activation,
  applyRotary,
  causalVisible,
  layerNorm,
  linear,
  mergeHeads,
  paddingMaskAdditive,
  rotaryCosSin,
  scaledDotProduct,
  sequenceShape,
} from './layers';
import { ropeParameters } from './rope';

/** GPTNeoXConfig's fields this build reads, with the class's defaults. */
function neoxSizes(c: ConfigReader) {
  const { dModel, heads, headDim } = headSplit(c, { hidden: 'hidden_size', heads: 'num_attention_heads' }, { hidden: 6144, heads: 64 });
  const pct = c.has('rotary_pct') ? c.number('rotary_pct') : c.number('partial_rotary_factor', 0.25);
  const rotary = Math.trunc(headDim * pct);
  const maxPositions = c.count('max_position_embeddings', 2048);
  const base = c.has('rotary_emb_base') ? c.positive('rotary_emb_base') : c.positive('rope_theta', 10000);
  return {
    vocab: c.count('vocab_size', 50432),
    dModel,
    layers: c.count('num_hidden_layers', 44),
    heads,
    headDim,
    ffn: c.count('intermediate_size', 24576),
    activation: activationField(c, 'hidden_act', 'gelu'),
    eps: c.positive('layer_norm_eps', 1e-5),
    tied: c.boolean('tie_word_embeddings', false),
    parallel: c.boolean('use_parallel_residual', true),
    bias: c.boolean('attention_bias', true),
    rotary,
    rope: ropeParameters(c, rotary, base, maxPositions),
  };
}

/** GPT-NeoX / Pythia (modeling_gpt_neox.py, eager attention): GPTNeoXForCausalLM and GPTNeoXModel. */
export const GPT_NEOX: FamilySpec = {
  modelTypes: ['gpt_neox'],
  prefix: () => 'gpt_neox',
  architectures: () => ['GPTNeoXForCausalLM', 'GPTNeoXModel'],
  check(c) {
    neoxSizes(c);
  },
  build(ctx) {
    const { b, weights: w } = ctx;
    const s = neoxSizes(ctx.config);
    const { vocab, dModel: D, heads: H, headDim: hd, ffn: F, rotary: rot } = s;
    const inputIds = b.input('input_ids', DataType.INT64, ['batch', 'sequence']);
    const mask = b.input('attention_mask', DataType.INT64, ['batch', 'sequence']);
    const shape = sequenceShape(b, inputIds);
    const table = w.float('gpt_neox.embed_in.weight', [vocab, D]);
    let h = b.within('gpt_neox/embed_in', () => b.op('Gather', [table, inputIds], { axis: 0 }));
    const causal = b.op('Unsqueeze', [causalVisible(b, shape.positions), b.int64([0, 1])]);
    const padding = paddingMaskAdditive(b, mask);
    const { cos, sin } = b.within('gpt_neox', () => rotaryCosSin(b, shape.positions, s.rope.invFreq, s.rope.attentionFactor));
    // GPT-NeoX scales the scores by alpha = 1 / norm_factor, both float32 (baddbmm).
    const alpha = Math.fround(1 / Math.fround(Math.sqrt(hd)));
    for (let i = 0; i < s.layers; i++) {
      const p = `gpt_neox.layers.${i}`;
      const param = (n: string, dims: number[]) => w.float(`${p}.${n}`, dims);
      const bias = (n: string, dims: number[]) => (s.bias ? param(n, dims) : null);
      const x = h;
      h = b.within(`gpt_neox/layers.${i}`, () => {
        const attn = b.within('attention', () => {
          const normed = layerNorm(b, x, param('input_layernorm.weight', [D]), param('input_layernorm.bias', [D]), s.eps);
          const qkv = linear(b, normed, param('attention.query_key_value.weight', [3 * D, D]), bias('attention.query_key_value.bias', [3 * D]), { in: D, out: 3 * D });
          // The fused output is laid out per head: [B, T, H, q | k | v of head_dim each].
          const perHead = b.op('Reshape', [qkv, b.int64([0, 0, H, 3 * hd])]);
          const part = (k: number) => b.op('Transpose', [b.op('Slice', [perHead, b.int64([k * hd]), b.int64([(k + 1) * hd]), b.int64([3])])], { perm: [0, 2, 1, 3] });
          const rotate = (t: string) => {
            if (rot === hd) return applyRotary(b, t, cos, sin, rot);
            const head = b.op('Slice', [t, b.int64([0]), b.int64([rot]), b.int64([3])]);
            const pass = b.op('Slice', [t, b.int64([rot]), b.int64([hd]), b.int64([3])]);
            return b.op('Concat', [applyRotary(b, head, cos, sin, rot), pass], { axis: -1 });
          };
          const context = scaledDotProduct(b, rotate(part(0)), rotate(part(1)), part(2), { multiplier: alpha, causalWhere: causal, additiveMask: padding });
          return linear(b, mergeHeads(b, context, H, hd), param('attention.dense.weight', [D, D]), bias('attention.dense.bias', [D]), { in: D, out: D });
        });
        const mlp = (input: string) => b.within('mlp', () => {
          const normed = layerNorm(b, input, param('post_attention_layernorm.weight', [D]), param('post_attention_layernorm.bias', [D]), s.eps);
          const up = linear(b, normed, param('mlp.dense_h_to_4h.weight', [F, D]), param('mlp.dense_h_to_4h.bias', [F]), { in: D, out: F });
          return linear(b, activation(b, up, s.activation), param('mlp.dense_4h_to_h.weight', [D, F]), param('mlp.dense_4h_to_h.bias', [D]), { in: F, out: D });
        });
        if (s.parallel) return b.op('Add', [b.op('Add', [mlp(x), attn]), x]);
        const mid = b.op('Add', [attn, x]);
        return b.op('Add', [mlp(mid), mid]);
      });
    }
    h = b.within('gpt_neox/final_layer_norm', () => layerNorm(b, h, w.float('gpt_neox.final_layer_norm.weight', [D]), w.float('gpt_neox.final_layer_norm.bias', [D]), s.eps));
    decoderOutputs(ctx, h, { base: ctx.architecture === 'GPTNeoXModel', tied: s.tied, table, head: 'embed_out', vocab, dModel: D });
  },
};
