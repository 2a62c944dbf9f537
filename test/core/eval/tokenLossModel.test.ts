import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { LOSS_CHUNK_TOKENS, TOKEN_LOSS, tokenLossModel } from '../../../src/core/eval/tokenLossModel';
import { openModelSession } from '../../../src/core/runtime/modelSession';
import { LOSS_TARGETS, LOSS_WEIGHTS } from '../../../src/core/train/loss';
import { fixtureIds, fixturePath } from '../../helpers/paths';
import { loadFixture } from '../train/fixtureTarget';

/**
 * The calibration and verification loss reduced inside the graph (so [batch, sequence, vocab] logits never reach
 * JavaScript) equals PyTorch's next-token cross-entropy on every causal fixture, fp16 logits included.
 */
describe('in-graph next-token loss', () => {
  const chunked: string[] = [];
  for (const id of fixtureIds()) {
    for (const chunks of [false, true]) {
    it(`${id}: Σ w · nll matches PyTorch's cross-entropy${chunks ? ', the head run on 2-token slices one after another' : ''}`, async function () {
      const f = loadFixture(path.dirname(fixturePath(id)));
      try {
        if (f.truth.loss.kind !== 'causal_lm_ce') this.skip();
        const dims = f.lossFeeds[LOSS_TARGETS].dims.map(Number);
        const scored = chunks ? tokenLossModel(f.model, f.truth.loss.output, { batch: dims[0], sequence: dims[1] }, 2 * dims[0]) : tokenLossModel(f.model, f.truth.loss.output);
        const lossHeads = scored.graph.node.filter((n) => n.opType === 'ReduceLogSumExp').length;
        if (chunks && lossHeads > 1) {
          assert.equal(lossHeads, Math.ceil(dims[1] / 2), 'one loss per 2-token slice');
          chunked.push(id);
        } else {
          assert.equal(lossHeads, 1);
        }
        const { session } = await openModelSession(scored, { provider: 'cpu' });
        try {
          // The fixture's weights are 1/count on counted positions, so the sum is PyTorch's mean.
          const feeds: Record<string, ort.Tensor> = { ...f.feeds, [TOKEN_LOSS.targets]: f.lossFeeds[LOSS_TARGETS], [TOKEN_LOSS.weights]: f.lossFeeds[LOSS_WEIGHTS] };
          const out = await session.run(feeds, [TOKEN_LOSS.output]);
          const got = (out[TOKEN_LOSS.output].data as Float32Array)[0];
          const want = f.truth.loss.value;
          assert.ok(Math.abs(got - want) <= 1e-4 * Math.abs(want), `in-graph ${got} vs PyTorch ${want}`);
          assert.deepEqual(session.outputNames, [TOKEN_LOSS.output], 'only the loss leaves the graph');
        } finally {
          await session.release();
          scored.close();
        }
      } finally {
        f.model.close();
      }
    });
    }
  }

  it('the head is cut into slices on every causal fixture whose head is a MatMul chain', () => {
    for (const id of ['gpt2-op17', 'llama-op17']) assert.ok(chunked.includes(id), `${id} was not chunked (chunked: ${chunked.join(', ')})`);
  });
});

/**
 * Long sequences: each attention's scores are computed a slice of heads at a time (so onnxruntime never holds every
 * head's [query, key] scores at once), and the loss is the same number.
 */
describe('in-graph next-token loss with the attention cut into head slices', () => {
  const cut: string[] = [];
  for (const id of fixtureIds()) {
    // 8 slices is more than any fixture's heads: some slices are empty.
    for (const slices of [2, 8]) {
      it(`${id}: ${slices} slices give the loss of the whole attention`, async function () {
        const f = loadFixture(path.dirname(fixturePath(id)));
        const models: ReturnType<typeof tokenLossModel>[] = [];
        try {
          if (f.truth.loss.kind !== 'causal_lm_ce') this.skip();
          const dims = f.lossFeeds[LOSS_TARGETS].dims.map(Number);
          const largest = { batch: dims[0], sequence: dims[1] };
          const whole = tokenLossModel(f.model, f.truth.loss.output, largest, LOSS_CHUNK_TOKENS, 1);
          const sliced = tokenLossModel(f.model, f.truth.loss.output, largest, LOSS_CHUNK_TOKENS, slices);
          models.push(whole, sliced);
          const softmaxes = (m: typeof whole) => m.graph.node.filter((n) => n.opType === 'Softmax').length;
          const attentions = softmaxes(whole);
          const cutHere = (softmaxes(sliced) - attentions) / (slices - 1);
          assert.ok(Number.isInteger(cutHere) && cutHere >= 0 && cutHere <= attentions, `${softmaxes(sliced)} Softmax nodes after cutting ${attentions} into ${slices}`);
          if (cutHere === attentions && attentions > 0) cut.push(id);
          const losses: number[] = [];
          for (const m of models) {
            const { session } = await openModelSession(m, { provider: 'cpu' });
            try {
              const feeds: Record<string, ort.Tensor> = { ...f.feeds, [TOKEN_LOSS.targets]: f.lossFeeds[LOSS_TARGETS], [TOKEN_LOSS.weights]: f.lossFeeds[LOSS_WEIGHTS] };
              losses.push((await session.run(feeds, [TOKEN_LOSS.output]))[TOKEN_LOSS.output].data[0] as number);
            } finally {
              await session.release();
            }
          }
          assert.equal(losses[1], losses[0], `sliced ${losses[1]} vs whole ${losses[0]}`);
          const want = f.truth.loss.value;
          assert.ok(Math.abs(losses[1] - want) <= 1e-4 * Math.abs(want), `sliced ${losses[1]} vs PyTorch ${want}`);
        } finally {
          for (const m of models) m.close();
          f.model.close();
        }
      });
    }
  }

  it('every attention is cut on the GPT-2 and LLaMA-family fixtures', () => {
    for (const id of ['gpt2-op17', 'gpt2-op17-fp16', 'gpt2-op17-past', 'llama-op17', 'llama-op17-past', 'qwen2-op17']) {
      assert.ok(cut.includes(id), `${id} was not cut (cut: ${cut.join(', ')})`);
    }
  });
});
