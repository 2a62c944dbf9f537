import { DataType } from '../../onnx/dataType';
import type { ConfigReader } from './configReader';
import { activationField, headSplit } from './configFields';
import type { FamilySpec } from './family';
import { decoderOutputs } from './outputs';
import { activation, causalVisible, conv1d, layerNorm, mergeHeads, paddingMaskAdditive, scaledDotProduct, sequenceShape, splitHeads } from './layers';

/** GPT2Config's fields this build reads, with the class's defaults. */
function gpt2Sizes(c: ConfigReader) {
  const { dModel, heads, headDim } = headSplit(c, { hidden: 'n_embd', heads: 'n_head' }, { hidden: 768, heads: 12 });
  return {
    vocab: c.count('vocab_size', 50257),
    positions: c.count('n_positions', 1024),
    dModel,
    layers: c.count('n_layer', 12),
    heads,
    headDim,
    ffn: c.has('n_inner') ? c.count('n_inner') : 4 * dModel,
    activation: activationField(c, 'activation_function', 'gelu_new'),
    eps: c.positive('layer_norm_epsilon', 1e-5),
    scale: c.boolean('scale_attn_weights', true),
    inverseLayerIdx: c.boolean('scale_attn_by_inverse_layer_idx', false),
    tied: c.boolean('tie_word_embeddings', true),
  };
}

/** GPT-2 (modeling_gpt2.py, eager attention): GPT2LMHeadModel and GPT2Model. */
export const GPT2: FamilySpec = {
  modelTypes: ['gpt2'],
  prefix: () => 'transformer',
  architectures: () => ['GPT2LMHeadModel', 'GPT2Model'],
  check(c) {
    c.requireDefault('add_cross_attention', [false], 'add_cross_attention (GPT-2 as a decoder with cross-attention)');
    gpt2Sizes(c);
  },
  build(ctx) {
    const { b, weights: w } = ctx;
    const s = gpt2Sizes(ctx.config);
    const { vocab, dModel: D, heads: H, headDim: hd, ffn: F } = s;
    const inputIds = b.input('input_ids', DataType.INT64, ['batch', 'sequence']);
    const mask = b.input('attention_mask', DataType.INT64, ['batch', 'sequence']);
    const shape = sequenceShape(b, inputIds);
    const wte = w.float('transformer.wte.weight', [vocab, D]);
    let h = b.within('transformer', () => {
      const tokens = b.op('Gather', [wte, inputIds], { axis: 0 });
      const positions = b.op('Gather', [w.float('transformer.wpe.weight', [s.positions, D]), shape.positions], { axis: 0 });
      return b.op('Add', [tokens, positions]);
    });
    const causal = b.op('Unsqueeze', [causalVisible(b, shape.positions), b.int64([0, 1])]);
    const padding = paddingMaskAdditive(b, mask);
    for (let i = 0; i < s.layers; i++) {
      const p = `transformer.h.${i}`;
      const param = (n: string, dims: number[]) => w.float(`${p}.${n}`, dims);
      h = b.within(`transformer/h.${i}`, () => {
        const x = layerNorm(b, h, param('ln_1.weight', [D]), param('ln_1.bias', [D]), s.eps);
        const attn = b.within('attn', () => {
          const qkv = conv1d(b, x, param('attn.c_attn.weight', [D, 3 * D]), param('attn.c_attn.bias', [3 * D]));
          const [q, k, v] = b.opN('Split', [qkv, b.int64([D, D, D])], 3, { axis: 2 });
          const divisors = [...(s.scale ? [Math.sqrt(hd)] : []), ...(s.inverseLayerIdx ? [i + 1] : [])];
          const context = scaledDotProduct(b, splitHeads(b, q, H, hd), splitHeads(b, k, H, hd), splitHeads(b, v, H, hd), { divisors, causalWhere: causal, additiveMask: padding });
          return conv1d(b, mergeHeads(b, context, H, hd), param('attn.c_proj.weight', [D, D]), param('attn.c_proj.bias', [D]));
        });
        const mid = b.op('Add', [attn, h]);
        const y = layerNorm(b, mid, param('ln_2.weight', [D]), param('ln_2.bias', [D]), s.eps);
        const mlp = b.within('mlp', () => {
          const up = conv1d(b, y, param('mlp.c_fc.weight', [D, F]), param('mlp.c_fc.bias', [F]));
          return conv1d(b, activation(b, up, s.activation), param('mlp.c_proj.weight', [F, D]), param('mlp.c_proj.bias', [D]));
        });
        return b.op('Add', [mid, mlp]);
      });
    }
    h = b.within('transformer/ln_f', () => layerNorm(b, h, w.float('transformer.ln_f.weight', [D]), w.float('transformer.ln_f.bias', [D]), s.eps));
    decoderOutputs(ctx, h, { base: ctx.architecture === 'GPT2Model', tied: s.tied, table: wte, head: 'lm_head', vocab, dModel: D });
  },
};
