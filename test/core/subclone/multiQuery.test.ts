import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { recognize } from '../../../src/core/recognize/recognize';
import { subclone } from '../../../src/core/subclone/subclone';
import { int64Tensor, maxAbsDiff, runModel } from '../../helpers/ort';
import { fixturePath, tempDir } from '../../helpers/paths';

async function mapOf(file: string) {
  const model = OnnxModel.load(file);
  try {
    return await recognize(model);
  } finally {
    model.close();
  }
}

const feeds = () => {
  const ids = Array.from({ length: 2 * 12 }, (_, i) => (i * 7 + 3) % 90);
  return { input_ids: int64Tensor(ids, [2, 12]), attention_mask: int64Tensor(ids.map(() => 1), [2, 12]) };
};

describe('one KV head (multi-query attention): a child with a single KV group is a model like any other', function () {
  this.timeout(120000);

  it('is read back, subclones to its own shape with the same logits, and shrinks further', async () => {
    const tmp = tempDir();
    try {
      // llama-op17 has 4 heads in 2 KV groups; keep 2 heads in 1 group (repeat_kv's KV · n_rep becomes 1 · 2).
      const mqa = await subclone(fixturePath('llama-op17'), { shape: { layers: 2, dModel: 32, heads: 2, kvHeads: 1, ffn: 53 }, data: null, outDir: path.join(tmp.dir, 'mqa') });
      const map = await mapOf(mqa.modelFile);
      assert.deepEqual([map.dims.heads, map.dims.kvHeads, map.dims.dModel], [2, 1, 32]);

      const same = await subclone(mqa.modelFile, { shape: { layers: 2, dModel: 32, heads: 2, kvHeads: 1, ffn: 53 }, data: null, blocks: { kind: 'first' }, outDir: path.join(tmp.dir, 'same') });
      const [a, b] = [await runModel(mqa.modelFile, feeds()), await runModel(same.modelFile, feeds())];
      assert.ok(maxAbsDiff(a.logits.data as Float32Array, b.logits.data as Float32Array) < 1e-5, 'the identity subclone computes the same function');

      const smaller = await subclone(mqa.modelFile, { shape: { layers: 1, dModel: 16, heads: 2, kvHeads: 1, ffn: 24 }, data: null, outDir: path.join(tmp.dir, 'smaller') });
      const out = await runModel(smaller.modelFile, feeds());
      assert.deepEqual(out.logits.dims, [2, 12, 96]);
      assert.ok((out.logits.data as Float32Array).every(Number.isFinite));
      assert.deepEqual([(await mapOf(smaller.modelFile)).dims.kvHeads, (await mapOf(smaller.modelFile)).dims.dModel], [1, 16]);
    } finally {
      tmp.cleanup();
    }
  });
});
