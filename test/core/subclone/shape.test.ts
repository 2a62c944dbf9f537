import * as assert from 'node:assert/strict';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { recognize } from '../../../src/core/recognize/recognize';
import type { TransformerMap } from '../../../src/core/recognize/transformerMap';
import { checkShape, countShapeParameters, parentShape, shapeLabel } from '../../../src/core/subclone/shape';
import { exhaustiveCandidates, parseBlockPolicy, ruleBlocks } from '../../../src/core/subclone/blockPolicy';
import { selectWidths, topK } from '../../../src/core/subclone/widthSelection';
import { exampleModel, fixturePath } from '../../helpers/paths';

describe('destination shapes', () => {
  let gpt: TransformerMap;
  let llama: TransformerMap;
  before(async () => {
    gpt = await recognize(OnnxModel.load(exampleModel));
    llama = await recognize(OnnxModel.load(fixturePath('llama-op17')));
  });

  it('accepts the parent\'s own shape and counts its parameters like the map', () => {
    assert.deepEqual(checkShape(gpt, parentShape(gpt)), { ok: true, problems: [] });
    assert.equal(countShapeParameters(gpt, parentShape(gpt)), gpt.parameterCounts.total);
    assert.equal(countShapeParameters(llama, parentShape(llama)), llama.parameterCounts.total);
  });

  it('counts a subclone\'s parameters from the shape', () => {
    // 3 blocks × (attn 4·96² + 4·96 + mlp 2·96·384 + 384 + 96 + norms 4·96) + wte 256·96 + wpe 128·96 + ln_f 2·96
    const block = 4 * 96 * 96 + 4 * 96 + 2 * 96 * 384 + 384 + 96 + 4 * 96;
    assert.equal(countShapeParameters(gpt, { layers: 3, dModel: 96, heads: 3, kvHeads: 3, ffn: 384 }), 3 * block + 256 * 96 + 128 * 96 + 2 * 96);
  });

  it('names each broken constraint and the nearest valid values', () => {
    const cases: [Parameters<typeof checkShape>[1], RegExp][] = [
      [{ layers: 7, dModel: 96, heads: 3, kvHeads: 3, ffn: 384 }, /layers 7 is larger than the parent's 6; at most 6/],
      [{ layers: 3, dModel: 0, heads: 3, kvHeads: 3, ffn: 384 }, /d_model must be a whole number ≥ 1/],
      [{ layers: 3, dModel: 96, heads: 3, kvHeads: 3, ffn: 1000 }, /ffn 1000 is larger than the parent's 768/],
      [{ layers: 3, dModel: 96, heads: 3, kvHeads: 2, ffn: 384 }, /no grouped-query attention: kv heads must equal heads \(3\)/],
      // The example computes the attention output width from the residual width (view(B, T, C)): d = 32·h.
      [{ layers: 3, dModel: 100, heads: 3, kvHeads: 3, ffn: 384 }, /d_model must equal heads × head_dim \(32\): with 3 heads, d_model 96; or with d_model 100, 3 heads|with 3 heads, d_model 96/],
      [{ layers: 3, dModel: 96, heads: 4, kvHeads: 4, ffn: 384 }, /with 4 heads, d_model 128; or with d_model 96, 3 heads/],
    ];
    for (const [shape, pattern] of cases) {
      const check = checkShape(gpt, shape);
      assert.equal(check.ok, false, JSON.stringify(shape));
      assert.match(check.problems.join('; '), pattern);
    }
  });

  it('grouped-query attention: heads a multiple of kv heads, at most the parent\'s group size', () => {
    assert.ok(checkShape(llama, { layers: 2, dModel: 24, heads: 3, kvHeads: 1, ffn: 40 }).ok);
    assert.ok(checkShape(llama, { layers: 2, dModel: 24, heads: 6, kvHeads: 2, ffn: 40 }).ok);
    const bad = checkShape(llama, { layers: 2, dModel: 24, heads: 4, kvHeads: 1, ffn: 40 });
    assert.match(bad.problems[0], /at most 3 query heads per KV head.*nearest valid: 3 heads with 1 kv heads|nearest valid/);
  });

  it('labels folders by shape', () => {
    assert.equal(shapeLabel({ layers: 3, dModel: 96, heads: 3, kvHeads: 3, ffn: 384 }), '3L-96d-3h-384f');
    assert.equal(shapeLabel({ layers: 2, dModel: 24, heads: 6, kvHeads: 2, ffn: [40, 48] }), '2L-24d-6h-2kv-40_48f');
  });
});

describe('selection', () => {
  it('topK keeps the best units in their original order', () => {
    assert.deepEqual(topK([0.1, 5, 3, 9, 0.2], 3), [1, 2, 3]);
    assert.deepEqual(topK([1, 1, 1], 2), [0, 1]);
  });

  it('grouped-query attention keeps whole KV groups and the same query slots in each', async () => {
    const map = await recognize(OnnxModel.load(fixturePath('llama-op17')));
    const heads = [[1, 0, 0, 9, 9, 0]]; // 2 groups × 3 slots: group 1 is stronger, slots 0 and 1 win within it
    const scores = {
      embeddingRanking: Array.from({ length: 48 }, (_, i) => 47 - i),
      ffn: map.blocks.map(() => Array.from({ length: 80 }, (_, i) => i)),
      heads: map.blocks.map(() => heads[0]),
      kvGroups: map.blocks.map(() => [1, 18]),
    };
    const keep = selectWidths(map, { layers: 1, dModel: 8, heads: 2, kvHeads: 1, ffn: 5 }, scores, [2]);
    assert.deepEqual(keep.D, [40, 41, 42, 43, 44, 45, 46, 47]);
    assert.deepEqual(keep.KV2, [1]);
    assert.deepEqual(keep.H2, [0, 1]);
    assert.deepEqual(keep.F2, [75, 76, 77, 78, 79]);
  });

  it('block policies', () => {
    assert.deepEqual(ruleBlocks({ kind: 'first' }, 6, 3), [0, 1, 2]);
    assert.deepEqual(ruleBlocks({ kind: 'middle' }, 6, 3), [0, 1, 5]);
    assert.deepEqual(ruleBlocks({ kind: 'magnitude' }, 6, 3, [0.9, 0.1, 0.5, 0.2, 0.4, 0.3]), [0, 2, 5]);
    assert.deepEqual(parseBlockPolicy('0, 2,5', 6), { kind: 'list', blocks: [0, 2, 5] });
    assert.throws(() => parseBlockPolicy('0,9', 6), /lists block 9, but the model has blocks 0–5/);
    assert.throws(() => parseBlockPolicy('0,0,1', 6), /lists block 0 twice/);
    assert.throws(() => parseBlockPolicy('0,-1', 6), /got "-1"/);
    assert.equal(exhaustiveCandidates(6, 3)!.length, 10);
    assert.ok(exhaustiveCandidates(6, 3)!.every((c) => c[0] === 0 && c.length === 3));
    assert.equal(exhaustiveCandidates(24, 12), undefined); // C(23, 11) > 64: greedy
  });
});
