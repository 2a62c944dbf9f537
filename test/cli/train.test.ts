import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { runCli } from '../helpers/cli';
import { exampleDir, exampleModel, fixtureIds, fixturePath, tempDir } from '../helpers/paths';

const KJV = path.join(exampleDir, 'kjv.txt');

describe('subclone train', function () {
  this.timeout(300000);

  it('trains a random init, writes the curve CSV and the trained model', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = path.join(dir, 'curve.csv');
      const save = path.join(dir, 'trained.onnx');
      const r = await runCli(['train', exampleModel, '--data', KJV, '--steps', '6', '--batch', '4', '--seq', '32', '--lr', '3e-3',
        '--init', 'random', '--eval-every', '3', '--eval-batches', '1', '--out', out, '--save', save, '--provider', 'cpu']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /trained 6 steps/);
      assert.match(r.stderr, /step=3\/6 loss=\d+\.\d+ lr=\S+ tok\/s=\d+ val=\d+\.\d+/);
      const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
      assert.equal(lines[0], 'step,lr,train_loss,val_loss,tokens_per_s');
      assert.equal(lines.length, 7);
      const rows = lines.slice(1).map((l) => l.split(','));
      assert.deepEqual(rows.map((c) => c[0]), ['1', '2', '3', '4', '5', '6']);
      assert.deepEqual(rows.map((c) => c[3] !== ''), [false, false, true, false, false, true], 'val_loss only on evaluated steps');
      assert.ok(rows.every((c) => Number(c[2]) > 0 && Number(c[4]) > 0));
      const session = await ort.InferenceSession.create(save, { logSeverityLevel: 3 });
      const logits = (await session.run({ input_ids: new ort.Tensor('int64', new BigInt64Array(8).fill(65n), [1, 8]) })).logits;
      await session.release();
      assert.deepEqual(logits.dims, [1, 8, 256]);
    } finally {
      cleanup();
    }
  });

  it('rejects bad arguments with exit 64', async () => {
    const noData = await runCli(['train', exampleModel, '--steps', '3']);
    assert.equal(noData.code, 64);
    assert.match(noData.stderr, /--data/);
    const badInit = await runCli(['train', exampleModel, '--data', KJV, '--steps', '3', '--init', 'zeros']);
    assert.equal(badInit.code, 64);
    assert.match(badInit.stderr, /--init/);
    const noSteps = await runCli(['train', exampleModel, '--data', KJV]);
    assert.equal(noSteps.code, 64);
  });

  it('exits 3 for missing data and 1 when the curve file exists, before training', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const missing = await runCli(['train', exampleModel, '--data', path.join(dir, 'nope.txt'), '--steps', '3']);
      assert.equal(missing.code, 3);
      assert.match(missing.stderr, /nope\.txt/);
      const out = path.join(dir, 'curve.csv');
      fs.writeFileSync(out, 'keep me');
      const exists = await runCli(['train', exampleModel, '--data', KJV, '--steps', '3', '--out', out]);
      assert.equal(exists.code, 1);
      assert.match(exists.stderr, /curve\.csv/);
      assert.equal(fs.readFileSync(out, 'utf8'), 'keep me');
    } finally {
      cleanup();
    }
  });

  it('exits 2 for a model that is not a transformer', async function () {
    if (!fixtureIds().includes('cnn-op17')) this.skip();
    const r = await runCli(['train', fixturePath('cnn-op17'), '--data', KJV, '--steps', '3']);
    assert.equal(r.code, 2, r.stderr);
  });

  it('stops on Ctrl+C with exit 130 and keeps the curve of the finished steps', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = path.join(dir, 'curve.csv');
      const r = await runCli(['train', exampleModel, '--data', KJV, '--steps', '100000', '--batch', '2', '--seq', '16', '--out', out, '--provider', 'cpu'],
        { signalAfterMs: 12000 });
      assert.equal(r.code, 130, r.stderr);
      const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
      assert.equal(lines[0], 'step,lr,train_loss,val_loss,tokens_per_s');
      assert.ok(lines.length > 1 && lines.length < 100001);
    } finally {
      cleanup();
    }
  });
});
