import { DataType } from '../../onnx/dataType';
import type { FamilyContext } from './family';
import { linear, token } from './layers';

/** What ends a decoder's graph (GPT-2, GPT-NeoX, the LLaMA family). */
export interface DecoderEnd {
  /** The base class (GPT2Model, …): the final hidden states are the output, there is no head. */
  base: boolean;
  /** The head is the embedding table itself (tie_word_embeddings). */
  tied: boolean;
  /** The embedding table's value. */
  table: string;
  /** The untied head's module name: its weight is `<head>.weight` [vocab, dModel], its nodes are named after it. */
  head: string;
  vocab: number;
  dModel: number;
}

/** `last_hidden_state` for a base class, else `logits` from a bias-free LM head (the embedding table when tied). */
export function decoderOutputs(ctx: FamilyContext, h: string, e: DecoderEnd): void {
  const { b, weights: w } = ctx;
  if (e.base) {
    b.output('last_hidden_state', h, DataType.FLOAT, ['batch', 'sequence', e.dModel]);
    return;
  }
  const weight = e.tied ? e.table : w.float(`${e.head}.weight`, [e.vocab, e.dModel]);
  const logits = b.within(e.head, () => linear(b, h, weight, null, { in: e.dModel, out: e.vocab }));
  b.output('logits', logits, DataType.FLOAT, ['batch', 'sequence', e.vocab]);
}

/**
 * BertPooler / ViTPooler, output `pooler_output`: tanh(dense(first token)), when the checkpoint has
 * `<prefix>.pooler.dense.weight` (RobertaModel and ViTModel are often saved without it).
 */
export function firstTokenPooler(ctx: FamilyContext, h: string, prefix: string, dModel: number): void {
  const { b, weights: w } = ctx;
  if (!w.has(`${prefix}.pooler.dense.weight`)) return;
  const dense = (n: string, dims: number[]) => w.float(`${prefix}.pooler.dense.${n}`, dims);
  const pooled = b.within(`${prefix}/pooler`, () => b.op('Tanh', [linear(b, token(b, h, 0), dense('weight', [dModel, dModel]), dense('bias', [dModel]), { in: dModel, out: dModel })]));
  b.output('pooler_output', pooled, DataType.FLOAT, ['batch', dModel]);
}
