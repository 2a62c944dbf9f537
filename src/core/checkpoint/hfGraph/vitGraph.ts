import { SubcloneError } from '../../errors';
import { DataType } from '../../onnx/dataType';
import type { ConfigReader } from './configReader';
import { activationField, headSplit } from './configFields';
import type { FamilyContext, FamilySpec } from './family';
import { firstTokenPooler } from './outputs';
import { activation, layerNorm, linear, mergeHeads, scaledDotProduct, splitHeads, token } from './layers';

const CLASSES: Record<string, readonly string[]> = {
  vit: ['ViTForImageClassification', 'ViTModel'],
  deit: ['DeiTForImageClassificationWithTeacher', 'DeiTForImageClassification', 'DeiTModel'],
};

/** ViTConfig / DeiTConfig fields this build reads, with each class's defaults. */
function vitSizes(c: ConfigReader) {
  const { dModel, heads, headDim } = headSplit(c, { hidden: 'hidden_size', heads: 'num_attention_heads' }, { hidden: 768, heads: 12 });
  const [imageH, imageW] = c.pair('image_size', 224);
  const [patchH, patchW] = c.pair('patch_size', 16);
  if (imageH % patchH !== 0 || imageW % patchW !== 0) throw new SubcloneError('BadModel', `${c.file}: image_size ${imageH}×${imageW} is not a whole number of ${patchH}×${patchW} patches`);
  return {
    dModel,
    layers: c.count('num_hidden_layers', 12),
    heads,
    headDim,
    ffn: c.count('intermediate_size', 3072),
    activation: activationField(c, 'hidden_act', 'gelu'),
    eps: c.positive('layer_norm_eps', 1e-12),
    channels: c.count('num_channels', 3),
    image: [imageH, imageW] as const,
    patch: [patchH, patchW] as const,
    patches: (imageH / patchH) * (imageW / patchW),
    qkvBias: c.boolean('qkv_bias', true),
  };
}

type Sizes = ReturnType<typeof vitSizes>;

/** ViT and DeiT (modeling_vit.py / modeling_deit.py, eager attention): image classifiers and base models. */
export const VIT: FamilySpec = {
  modelTypes: ['vit', 'deit'],
  prefix: (modelType) => modelType,
  architectures: (modelType) => CLASSES[modelType],
  check(c) {
    vitSizes(c);
  },
  build(ctx) {
    const { b, weights: w, modelType: p } = ctx;
    const s = vitSizes(ctx.config);
    const D = s.dModel;
    const pixels = b.input('pixel_values', DataType.FLOAT, ['batch', s.channels, s.image[0], s.image[1]]);
    let h = b.within(`${p}/embeddings`, () => embeddings(ctx, s, pixels));
    for (let i = 0; i < s.layers; i++) h = b.within(`${p}/encoder/layer.${i}`, () => layer(ctx, s, `${p}.encoder.layer.${i}`, h));
    h = b.within(`${p}/layernorm`, () => layerNorm(b, h, w.float(`${p}.layernorm.weight`, [D]), w.float(`${p}.layernorm.bias`, [D]), s.eps));
    const classifier = (name: string, index: number) => {
      const labels = w.shape(`${name}.weight`)[0];
      return { labels, logits: b.within(name, () => linear(b, token(b, h, index), w.float(`${name}.weight`, [labels, D]), w.float(`${name}.bias`, [labels]), { in: D, out: labels })) };
    };
    if (ctx.architecture === 'DeiTForImageClassificationWithTeacher') {
      const cls = classifier('cls_classifier', 0);
      const distilled = classifier('distillation_classifier', 1);
      const logits = b.op('Div', [b.op('Add', [cls.logits, distilled.logits]), b.float(2)]);
      b.output('logits', logits, DataType.FLOAT, ['batch', cls.labels]);
    } else if (ctx.architecture.endsWith('ForImageClassification')) {
      const { labels, logits } = classifier('classifier', 0);
      b.output('logits', logits, DataType.FLOAT, ['batch', labels]);
    } else {
      b.output('last_hidden_state', h, DataType.FLOAT, ['batch', s.patches + (p === 'deit' ? 2 : 1), D]);
      firstTokenPooler(ctx, h, p, D);
    }
  },
};

/** Patch embedding (a strided Conv), the CLS (and DeiT's distillation) token first, plus the position table. */
function embeddings(ctx: FamilyContext, s: Sizes, pixels: string): string {
  const { b, weights: w, modelType: p } = ctx;
  const D = s.dModel;
  const e = `${p}.embeddings`;
  const conv = b.within('patch_embeddings/projection', () =>
    b.op('Conv', [pixels, w.float(`${e}.patch_embeddings.projection.weight`, [D, s.channels, s.patch[0], s.patch[1]]), w.float(`${e}.patch_embeddings.projection.bias`, [D])], {
      kernel_shape: [...s.patch],
      strides: [...s.patch],
    }),
  );
  const patches = b.op('Transpose', [b.op('Reshape', [conv, b.int64([0, 0, -1])])], { perm: [0, 2, 1] }); // [B, N, D]
  const batch = b.op('Slice', [b.op('Shape', [pixels]), b.int64([0]), b.int64([1])]);
  const expandTo = b.op('Concat', [batch, b.int64([1, 1])], { axis: 0 });
  const special = [`${e}.cls_token`, ...(p === 'deit' ? [`${e}.distillation_token`] : [])].map((n) => b.op('Expand', [w.float(n, [1, 1, D]), expandTo]));
  const tokens = b.op('Concat', [...special, patches], { axis: 1 });
  return b.op('Add', [tokens, w.float(`${e}.position_embeddings`, [1, s.patches + special.length, D])]);
}

/** A pre-LN encoder layer: x + attn(LN(x)), then h + FFN(LN(h)). */
function layer(ctx: FamilyContext, s: Sizes, prefix: string, x: string): string {
  const { b, weights: w } = ctx;
  const { dModel: D, heads: H, headDim: hd, ffn: F } = s;
  const param = (n: string, dims: number[]) => w.float(`${prefix}.${n}`, dims);
  const attention = b.within('attention', () => {
    const normed = layerNorm(b, x, param('layernorm_before.weight', [D]), param('layernorm_before.bias', [D]), s.eps);
    const project = (n: string) => linear(b, normed, param(`attention.attention.${n}.weight`, [D, D]), s.qkvBias ? param(`attention.attention.${n}.bias`, [D]) : null, { in: D, out: D });
    const context = scaledDotProduct(b, splitHeads(b, project('query'), H, hd), splitHeads(b, project('key'), H, hd), splitHeads(b, project('value'), H, hd), { divisors: [Math.sqrt(hd)] });
    return linear(b, mergeHeads(b, context, H, hd), param('attention.output.dense.weight', [D, D]), param('attention.output.dense.bias', [D]), { in: D, out: D });
  });
  const mid = b.op('Add', [attention, x]);
  return b.within('output', () => {
    const normed = layerNorm(b, mid, param('layernorm_after.weight', [D]), param('layernorm_after.bias', [D]), s.eps);
    const inner = activation(b, linear(b, normed, param('intermediate.dense.weight', [F, D]), param('intermediate.dense.bias', [F]), { in: D, out: F }), s.activation);
    return b.op('Add', [linear(b, inner, param('output.dense.weight', [D, F]), param('output.dense.bias', [D]), { in: F, out: D }), mid]);
  });
}
