import * as assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import type { Feeds } from '../../../src/core/data/calibrationSource';
import { isSubcloneError } from '../../../src/core/errors';
import { importanceOf, maskedMeanAbs, maxAbsDiff, repoCases, type OracleCase } from './oracle';

/** The case with its padded positions' token ids replaced (or its mask replaced). */
function withIds(c: OracleCase, change: (ids: BigInt64Array, mask: BigInt64Array) => void): OracleCase {
  const ids = BigInt64Array.from(c.feeds.input_ids.data as BigInt64Array);
  const mask = BigInt64Array.from(c.feeds.attention_mask.data as BigInt64Array);
  change(ids, mask);
  const feeds: Feeds = { ...c.feeds, input_ids: new ort.Tensor('int64', ids, c.feeds.input_ids.dims), attention_mask: new ort.Tensor('int64', mask, c.feeds.attention_mask.dims) };
  return { ...c, feeds, mask: Float64Array.from(mask, Number) };
}

describe('importance: padding never counts', () => {
  for (const id of ['gpt2-op17', 'bert-op14', 'llama-op17']) {
    it(`${id}: scores ignore padded positions, and would differ if they counted`, async () => {
      const c = repoCases().find((x) => x.id === id)!;
      assert.ok(c.mask.includes(0), `${id}'s batch has padding`);
      const base = (await importanceOf(c)).report;
      assert.equal(base.calibration.tokens, c.mask.reduce((s, v) => s + v, 0), 'tokens counted = unpadded positions');
      // Other token ids at padded positions: nothing the report holds may move.
      const vocab = base.model.dims.vocab!;
      const changed = (await importanceOf(withIds(c, (ids, mask) => mask.forEach((m, i) => m === 0n && (ids[i] = BigInt((Number(ids[i]) + 7) % vocab)))))).report;
      assert.ok(maxAbsDiff(changed.embedding.perLayer.flat(), base.embedding.perLayer.flat()) < 1e-6);
      assert.ok(maxAbsDiff(changed.ffn.flat(), base.ffn.flat()) < 1e-6);
      assert.ok(maxAbsDiff(changed.heads.flat(), base.heads.flat()) < 1e-6);
      assert.ok(maxAbsDiff(changed.blocks.relativeMagnitude, base.blocks.relativeMagnitude) < 1e-6);
      // Counting the padded positions would change the scores: the check above can fail.
      const L = c.blocks.length;
      const everyToken = maskedMeanAbs(c.blocks[L - 1], new Float64Array(c.mask.length).fill(1));
      assert.ok(maxAbsDiff(base.embedding.perLayer[L], everyToken) > 1e-3, 'padded positions differ from the rest');
    });
  }

  it('a batch that is all padding counts no token: a clear error', async () => {
    const c = repoCases().find((x) => x.id === 'gpt2-op17')!;
    await assert.rejects(importanceOf(withIds(c, (_ids, mask) => mask.fill(0n))), (e: unknown) => isSubcloneError(e, 'MissingData') && /no calibration token counted/.test((e as Error).message));
  });
});
