import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { findTokenizer, loadTextTokens, type TextTokens } from '../../../src/core/data/textData';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { valueSpec } from '../../../src/core/onnx/valueInfo';
import { trainingTargetFor } from '../../../src/core/train/targetFor';
import type { TrainingTarget } from '../../../src/core/train/target';
import { textBatchSource } from '../../../src/core/train/textBatches';
import { trainModel, type TrainConfig } from '../../../src/core/train/trainLoop';
import { exampleDir, exampleModel } from '../../helpers/paths';

/**
 * 50 steps on the pretrained parent's data (kjv.txt; the last 5% of bytes held out), batch 8 × 64, on the CPU.
 * From a random init of the parent's graph the held-out loss must fall by more than 1.5 nats (it starts near
 * ln 256 = 5.5); from the pretrained weights, a small learning rate must not raise it by more than 0.02.
 * The same seed must give the same curve twice, bit for bit; another seed another curve.
 */
describe('training: 50 steps on the parent', function () {
  this.timeout(600000);
  let model: OnnxModel;
  let target: TrainingTarget;
  let tokens: TextTokens;

  before(async () => {
    model = OnnxModel.load(exampleModel);
    target = await trainingTargetFor(model);
    tokens = loadTextTokens(path.join(exampleDir, 'kjv.txt'), { tokenizer: findTokenizer(exampleModel) });
  });
  after(() => model.close());

  const run = (settings: Partial<TrainConfig> & { steps: number; lr: number }, seed: number) => {
    const data = textBatchSource(tokens, target, model.graph.input.map(valueSpec), { batch: 8, seq: 64, seed, evalBatches: 4 });
    return trainModel(model, target, data, { provider: 'cpu', evalAtStart: true, ...settings, seed });
  };

  it('lowers the loss from a random init, and the same seed gives the same curve twice', async () => {
    const settings = { steps: 50, lr: 3e-3, init: 'random' as const, evalEvery: 25 };
    const a = await run(settings, 1);
    const b = await run(settings, 1);
    const c = await run({ ...settings, steps: 5 }, 2);
    const start = a.initialValLoss!;
    const end = a.curve[a.curve.length - 1].valLoss!;
    assert.ok(start > 5 && start < 6, `a random init starts near ln 256, got ${start}`);
    assert.ok(end < start - 1.5, `validation loss ${start.toFixed(3)} → ${end.toFixed(3)}`);
    const mean = (xs: number[]) => xs.reduce((p, x) => p + x, 0) / xs.length;
    assert.ok(mean(a.curve.slice(-5).map((p) => p.trainLoss)) < mean(a.curve.slice(0, 5).map((p) => p.trainLoss)) - 1.5);
    assert.deepEqual(b.curve.map((p) => [p.step, p.lr, p.trainLoss, p.valLoss]), a.curve.map((p) => [p.step, p.lr, p.trainLoss, p.valLoss]));
    assert.equal(b.initialValLoss, a.initialValLoss);
    assert.notDeepEqual(c.curve.map((p) => p.trainLoss), a.curve.slice(0, 5).map((p) => p.trainLoss));
    for (const [name, values] of a.values) assert.deepEqual(b.values.get(name), values, `${name} differs between two runs with one seed`);
  });

  it('keeps the pretrained parent where it is with a small learning rate', async () => {
    const r = await run({ steps: 50, lr: 1e-4, warmup: 5 }, 3);
    const start = r.initialValLoss!;
    const end = r.curve[r.curve.length - 1].valLoss!;
    assert.ok(start < 1.6, `the pretrained parent's held-out loss is about 1.33, got ${start}`);
    assert.ok(end < start + 0.02, `validation loss ${start.toFixed(4)} → ${end.toFixed(4)}`);
  });
});
