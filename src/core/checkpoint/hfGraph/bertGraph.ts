import { DataType } from '../../onnx/dataType';
import type { ConfigReader } from './configReader';
import { activationField, headSplit } from './configFields';
import type { FamilyContext, FamilySpec } from './family';
import { firstTokenPooler } from './outputs';
import type { GraphBuilder } from './graphBuilder';
import { activation, layerNorm, linear, mergeHeads, paddingMaskAdditive, scaledDotProduct, splitHeads } from './layers';

const CLASSES: Record<string, readonly string[]> = {
  bert: ['BertModel', 'BertForMaskedLM'],
  roberta: ['RobertaModel', 'RobertaForMaskedLM'],
};

/** BertConfig / RobertaConfig fields this build reads, with each class's defaults. */
function bertSizes(c: ConfigReader, modelType: string) {
  const { dModel, heads, headDim } = headSplit(c, { hidden: 'hidden_size', heads: 'num_attention_heads' }, { hidden: 768, heads: 12 });
  return {
    vocab: c.count('vocab_size', modelType === 'roberta' ? 50265 : 30522),
    dModel,
    layers: c.count('num_hidden_layers', 12),
    heads,
    headDim,
    ffn: c.count('intermediate_size', 3072),
    activation: activationField(c, 'hidden_act', 'gelu'),
    eps: c.positive('layer_norm_eps', 1e-12),
    positions: c.count('max_position_embeddings', 512),
    typeVocab: c.count('type_vocab_size', 2),
    pad: c.index('pad_token_id', modelType === 'roberta' ? 1 : 0),
    tied: c.boolean('tie_word_embeddings', true),
  };
}

type Sizes = ReturnType<typeof bertSizes>;

/** BERT and RoBERTa encoders (modeling_bert.py / modeling_roberta.py, eager attention), base and masked-LM classes. */
export const BERT: FamilySpec = {
  modelTypes: ['bert', 'roberta'],
  prefix: (modelType) => modelType,
  architectures: (modelType) => CLASSES[modelType],
  check(c, modelType) {
    c.requireDefault('position_embedding_type', ['absolute'], `position_embedding_type ${JSON.stringify(c.raw.position_embedding_type)} (relative position embeddings)`);
    c.requireDefault('is_decoder', [false], 'is_decoder (BERT as a decoder)');
    c.requireDefault('add_cross_attention', [false], 'add_cross_attention (BERT with cross-attention)');
    bertSizes(c, modelType);
  },
  build(ctx) {
    const { b, weights: w, modelType } = ctx;
    const s = bertSizes(ctx.config, modelType);
    const p = modelType; // bert. / roberta.
    const inputIds = b.input('input_ids', DataType.INT64, ['batch', 'sequence']);
    const mask = b.input('attention_mask', DataType.INT64, ['batch', 'sequence']);
    const tokenTypes = s.typeVocab > 1 ? b.input('token_type_ids', DataType.INT64, ['batch', 'sequence']) : null;
    const words = w.float(`${p}.embeddings.word_embeddings.weight`, [s.vocab, s.dModel]);
    let h = b.within(`${p}/embeddings`, () => embeddings(ctx, s, inputIds, tokenTypes, words));
    const padding = paddingMaskAdditive(b, mask);
    for (let i = 0; i < s.layers; i++) h = b.within(`${p}/encoder/layer.${i}`, () => layer(ctx, s, `${p}.encoder.layer.${i}`, h, padding));
    if (ctx.architecture.endsWith('ForMaskedLM')) {
      const logits = modelType === 'roberta' ? robertaLmHead(ctx, s, h, words) : bertLmHead(ctx, s, h, words);
      b.output('logits', logits, DataType.FLOAT, ['batch', 'sequence', s.vocab]);
      return;
    }
    b.output('last_hidden_state', h, DataType.FLOAT, ['batch', 'sequence', s.dModel]);
    firstTokenPooler(ctx, h, p, s.dModel);
  },
};

/** LayerNorm(word + token type + position embeddings); RoBERTa's positions count non-padding tokens from pad + 1. */
function embeddings(ctx: FamilyContext, s: Sizes, inputIds: string, tokenTypes: string | null, words: string): string {
  const { b, weights: w, modelType: p } = ctx;
  const D = s.dModel;
  const types = w.float(`${p}.embeddings.token_type_embeddings.weight`, [s.typeVocab, D]);
  const typeIds = tokenTypes ?? b.zeros(b.op('Shape', [inputIds]), DataType.INT64);
  const summed = b.op('Add', [b.op('Gather', [words, inputIds], { axis: 0 }), b.op('Gather', [types, typeIds], { axis: 0 })]);
  const positionIds = p === 'roberta' ? robertaPositions(b, inputIds, s.pad) : b.op('Range', [b.int64([0], []), b.op('Gather', [b.op('Shape', [inputIds]), b.int64([1], [])], { axis: 0 }), b.int64([1], [])]);
  const positions = b.op('Gather', [w.float(`${p}.embeddings.position_embeddings.weight`, [s.positions, D]), positionIds], { axis: 0 });
  const sum = b.op('Add', [summed, positions]);
  return layerNorm(b, sum, w.float(`${p}.embeddings.LayerNorm.weight`, [D]), w.float(`${p}.embeddings.LayerNorm.bias`, [D]), s.eps);
}

/** create_position_ids_from_input_ids: cumsum(ids ≠ pad) · (ids ≠ pad) + pad. */
function robertaPositions(b: GraphBuilder, inputIds: string, pad: number): string {
  const notPad = b.op('Cast', [b.op('Not', [b.op('Equal', [inputIds, b.int64([pad], [])])])], { to: DataType.INT32 });
  const counted = b.op('Mul', [b.op('CumSum', [notPad, b.int64([1], [])]), notPad]);
  return b.op('Add', [b.op('Cast', [counted], { to: DataType.INT64 }), b.int64([pad], [])]);
}

/** A post-LN encoder layer: LN(x + attn(x)), then LN(a + FFN(a)). */
function layer(ctx: FamilyContext, s: Sizes, prefix: string, x: string, padding: string): string {
  const { b, weights: w } = ctx;
  const { dModel: D, heads: H, headDim: hd, ffn: F } = s;
  const param = (n: string, dims: number[]) => w.float(`${prefix}.${n}`, dims);
  const attention = b.within('attention', () => {
    const project = (n: string) => linear(b, x, param(`attention.self.${n}.weight`, [D, D]), param(`attention.self.${n}.bias`, [D]), { in: D, out: D });
    const context = scaledDotProduct(b, splitHeads(b, project('query'), H, hd), splitHeads(b, project('key'), H, hd), splitHeads(b, project('value'), H, hd), { divisors: [Math.sqrt(hd)], additiveMask: padding });
    const out = linear(b, mergeHeads(b, context, H, hd), param('attention.output.dense.weight', [D, D]), param('attention.output.dense.bias', [D]), { in: D, out: D });
    return layerNorm(b, b.op('Add', [out, x]), param('attention.output.LayerNorm.weight', [D]), param('attention.output.LayerNorm.bias', [D]), s.eps);
  });
  return b.within('output', () => {
    const inner = activation(b, linear(b, attention, param('intermediate.dense.weight', [F, D]), param('intermediate.dense.bias', [F]), { in: D, out: F }), s.activation);
    const out = linear(b, inner, param('output.dense.weight', [D, F]), param('output.dense.bias', [D]), { in: F, out: D });
    return layerNorm(b, b.op('Add', [out, attention]), param('output.LayerNorm.weight', [D]), param('output.LayerNorm.bias', [D]), s.eps);
  });
}

/** The decoder's weight (the word embeddings when tied) and bias, which checkpoints store under either name. */
function decoder(ctx: FamilyContext, s: Sizes, words: string, weightName: string, biasNames: string[]): { weight: string; bias: string } {
  const { weights: w } = ctx;
  const weight = s.tied ? words : w.float(weightName, [s.vocab, s.dModel]);
  const biasName = biasNames.find((n) => w.has(n)) ?? biasNames[0];
  return { weight, bias: w.float(biasName, [s.vocab]) };
}

/** BertForMaskedLM's cls.predictions: dense → activation → LayerNorm → decoder + bias. */
function bertLmHead(ctx: FamilyContext, s: Sizes, h: string, words: string): string {
  const { b, weights: w } = ctx;
  const D = s.dModel;
  return b.within('cls/predictions', () => {
    const t = 'cls.predictions.transform';
    const dense = activation(b, linear(b, h, w.float(`${t}.dense.weight`, [D, D]), w.float(`${t}.dense.bias`, [D]), { in: D, out: D }), s.activation);
    const normed = layerNorm(b, dense, w.float(`${t}.LayerNorm.weight`, [D]), w.float(`${t}.LayerNorm.bias`, [D]), s.eps);
    const d = decoder(ctx, s, words, 'cls.predictions.decoder.weight', ['cls.predictions.bias', 'cls.predictions.decoder.bias']);
    return linear(b, normed, d.weight, d.bias, { in: D, out: s.vocab });
  });
}

/** RobertaForMaskedLM's lm_head: dense → gelu → layer_norm → decoder + bias. */
function robertaLmHead(ctx: FamilyContext, s: Sizes, h: string, words: string): string {
  const { b, weights: w } = ctx;
  const D = s.dModel;
  return b.within('lm_head', () => {
    const dense = activation(b, linear(b, h, w.float('lm_head.dense.weight', [D, D]), w.float('lm_head.dense.bias', [D]), { in: D, out: D }), 'gelu');
    const normed = layerNorm(b, dense, w.float('lm_head.layer_norm.weight', [D]), w.float('lm_head.layer_norm.bias', [D]), s.eps);
    const d = decoder(ctx, s, words, 'lm_head.decoder.weight', ['lm_head.bias', 'lm_head.decoder.bias']);
    return linear(b, normed, d.weight, d.bias, { in: D, out: s.vocab });
  });
}
