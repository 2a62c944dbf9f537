import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { writeModel } from '../../../src/core/onnx/writeModel';
import { INIT_STD, randomInit, randomInitValues } from '../../../src/core/train/randomInit';
import { trainingTargetFor } from '../../../src/core/train/targetFor';
import type { TrainingTarget } from '../../../src/core/train/target';
import { exampleDir, exampleModel, fixturePath, fixtureIds, tempDir } from '../../helpers/paths';

function stats(x: Float32Array): { mean: number; std: number } {
  let s = 0;
  for (const v of x) s += v;
  const mean = s / x.length;
  let q = 0;
  for (const v of x) q += (v - mean) ** 2;
  return { mean, std: Math.sqrt(q / x.length) };
}

describe('random init of the same graph', function () {
  this.timeout(120000);
  let model: OnnxModel;
  let target: TrainingTarget;
  before(async () => {
    model = OnnxModel.load(exampleModel);
    target = await trainingTargetFor(model);
  });
  after(() => model.close());

  it('draws GPT-2 statistics per role: 0.02, residual projections 0.02/sqrt(2L), norms 1/0, biases 0', () => {
    const values = randomInitValues(model, target, 7);
    const residual = INIT_STD / Math.sqrt(2 * target.layers);
    assert.equal(target.layers, 6);
    for (const p of target.params) {
      const v = values.get(p.name)!;
      assert.ok(v, `no value for ${p.name}`);
      if (p.role === 'norm.weight') assert.ok(v.every((x) => x === 1), p.name);
      else if (p.role.endsWith('bias')) assert.ok(v.every((x) => x === 0), p.name);
      else if (!p.copyOf) {
        const { mean, std } = stats(v);
        const want = p.role === 'attn.out.weight' || p.role === 'mlp.down.weight' ? residual : INIT_STD;
        assert.ok(Math.abs(mean) < 4 * want / Math.sqrt(v.length) + 1e-6, `${p.name} mean ${mean}`);
        assert.ok(Math.abs(std / want - 1) < 0.05, `${p.name} std ${std} (want ${want})`);
      }
    }
  });

  it('keeps the tied head equal to the token embedding (stored transposed)', () => {
    const values = randomInitValues(model, target, 7);
    const copy = target.params.find((p) => p.copyOf)!;
    assert.ok(copy, 'the parent has a tied head stored twice');
    const wte = values.get(copy.copyOf!)!;
    const head = values.get(copy.name)!;
    const [v, d] = [256, 192];
    for (let i = 0; i < v; i += 17) for (let j = 0; j < d; j += 13) assert.equal(head[j * v + i], wte[i * d + j]);
  });

  it('is a pure function of the seed', () => {
    const a = randomInitValues(model, target, 7);
    const b = randomInitValues(model, target, 7);
    const c = randomInitValues(model, target, 8);
    for (const [name, v] of a) assert.deepEqual(b.get(name), v);
    const wte = target.params.find((p) => p.role === 'embedding.token')!.name;
    assert.notDeepEqual(c.get(wte), a.get(wte));
  });

  it('writes a model that runs and predicts bytes about uniformly (loss near ln 256)', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'random.onnx');
      writeModel(randomInit(model, target, 7), file);
      const text = fs.readFileSync(path.join(exampleDir, 'kjv.txt')).subarray(0, 4 * 65);
      const ids = BigInt64Array.from({ length: 4 * 64 }, (_, i) => BigInt(text[Math.floor(i / 64) * 65 + (i % 64)]));
      const session = await ort.InferenceSession.create(file, { logSeverityLevel: 3 });
      const logits = (await session.run({ input_ids: new ort.Tensor('int64', ids, [4, 64]) })).logits.data as Float32Array;
      await session.release();
      let loss = 0;
      for (let r = 0; r < 4; r++) {
        for (let t = 0; t < 63; t++) {
          const row = logits.subarray((r * 64 + t) * 256, (r * 64 + t + 1) * 256);
          const max = Math.max(...row);
          const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
          loss += lse - row[Number(ids[r * 64 + t + 1])];
        }
      }
      loss /= 4 * 63;
      assert.ok(Math.abs(loss - Math.log(256)) < 0.1, `loss ${loss}`);
    } finally {
      cleanup();
    }
  });

  it('initialises every transformer fixture family (LLaMA, BERT, ViT, GPT-NeoX)', async () => {
    for (const id of ['llama-op17', 'bert-op17-mlm', 'vit-op17', 'gptneox-op17'].filter((x) => fixtureIds().includes(x))) {
      const m = OnnxModel.load(fixturePath(id));
      try {
        const t = await trainingTargetFor(m);
        const values = randomInitValues(m, t, 1);
        assert.equal(values.size, t.params.length, id);
        const norms = t.params.filter((p) => p.role === 'norm.weight');
        assert.ok(norms.length > 0 && norms.every((p) => values.get(p.name)!.every((x) => x === 1)), `${id}: norm scales are 1`);
      } finally {
        m.close();
      }
    }
  });
});
