import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { findTokenizer, loadTextTokens } from '../../../src/core/data/textData';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { valueSpec } from '../../../src/core/onnx/valueInfo';
import { writeModel } from '../../../src/core/onnx/writeModel';
import { AdamW } from '../../../src/core/train/adamw';
import { trainingTargetFor } from '../../../src/core/train/targetFor';
import { textBatchSource } from '../../../src/core/train/textBatches';
import { Trainer } from '../../../src/core/train/trainer';
import { modelWithWeights } from '../../../src/core/train/weights';
import { exampleDir, exampleModel, fixtureIds, fixturePath, tempDir } from '../../helpers/paths';

/** Cross-entropy of logits [B, T, V] against targets, weighted like the training graph's loss. */
function weightedLoss(logits: Float32Array, targets: BigInt64Array, weights: Float32Array, vocab: number): number {
  let loss = 0;
  for (let k = 0; k < targets.length; k++) {
    const row = logits.subarray(k * vocab, (k + 1) * vocab);
    let max = -Infinity;
    for (const x of row) max = Math.max(max, x);
    let sum = 0;
    for (const x of row) sum += Math.exp(x - max);
    loss += weights[k] * (max + Math.log(sum) - row[Number(targets[k])]);
  }
  return loss;
}

describe('saving trained weights into the model\'s own graph', function () {
  this.timeout(300000);

  it('writes the trained values (tied copy kept equal) into a model that gives the trainer\'s loss', async () => {
    const model = OnnxModel.load(exampleModel);
    const { dir, cleanup } = tempDir();
    try {
      const target = await trainingTargetFor(model);
      const tokens = loadTextTokens(path.join(exampleDir, 'kjv.txt'), { tokenizer: findTokenizer(exampleModel) });
      const data = textBatchSource(tokens, target, model.graph.input.map(valueSpec), { batch: 4, seq: 32, seed: 5, evalBatches: 1 });
      const trainer = await Trainer.create(model, target, data.train(0), { provider: 'cpu' });
      const adam = new AdamW(trainer.trained.map((p) => ({ values: p.values, decay: true })));
      for (let s = 0; s < 3; s++) {
        const { grads } = await trainer.step(data.train(s));
        adam.step(grads, 1e-2);
      }
      const batch = data.validation()[0];
      const trainedLoss = await trainer.evaluate(batch);
      const values = trainer.values();
      await trainer.release();

      const file = path.join(dir, 'trained.onnx');
      writeModel(modelWithWeights(model, values), file);
      const saved = OnnxModel.load(file);
      const copy = target.params.find((p) => p.copyOf)!;
      for (const t of saved.graph.initializer) {
        const v = values.get(t.name);
        if (v) assert.deepEqual(saved.float32(t), v, `${t.name} was not saved as trained`);
      }
      const original = model.float32(model.graph.initializer.find((t) => t.name === copy.name)!);
      assert.notDeepEqual(values.get(copy.name), original, 'the tied copy follows the trained table');
      assert.equal(saved.graph.node.length, model.graph.node.length, 'same graph');
      saved.close();

      const session = await ort.InferenceSession.create(file, { logSeverityLevel: 3 });
      const logits = (await session.run(batch.inputs)).logits.data as Float32Array;
      await session.release();
      const loss = weightedLoss(logits, batch.targets.data as BigInt64Array, batch.weights.data as Float32Array, 256);
      assert.ok(Math.abs(loss - trainedLoss) < 1e-4, `saved model loss ${loss} vs trainer ${trainedLoss}`);
    } finally {
      cleanup();
      model.close();
    }
  });

  it('stores float16 weights back as float16', async function () {
    if (!fixtureIds().includes('gpt2-op17-fp16w')) this.skip();
    const model = OnnxModel.load(fixturePath('gpt2-op17-fp16w'));
    const { dir, cleanup } = tempDir();
    try {
      const t = model.graph.initializer.find((x) => x.dataType === 10 && x.dims.length === 2)!;
      const v = model.float32(t).map((x) => x * 2);
      const file = path.join(dir, 'w.onnx');
      writeModel(modelWithWeights(model, new Map([[t.name, v]])), file);
      const saved = OnnxModel.load(file);
      const back = saved.graph.initializer.find((x) => x.name === t.name)!;
      assert.equal(back.dataType, 10);
      assert.deepEqual(saved.float32(back), v, 'doubling is exact in float16');
      saved.close();
    } finally {
      cleanup();
      model.close();
    }
  });
});
