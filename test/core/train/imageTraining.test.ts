import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { trainOnData } from '../../../src/core/train/trainOnData';
import { Rng } from '../../../src/core/random/rng';
import { fixtureIds, fixturePath, tempDir } from '../../helpers/paths';

/** Writes `count` noisy 20×20 PNGs of one dominant colour into folder/<name>. */
function writeClass(folder: string, name: string, rgb: [number, number, number], count: number, rng: Rng): void {
  const dir = path.join(folder, name);
  fs.mkdirSync(dir, { recursive: true });
  for (let k = 0; k < count; k++) {
    const png = new PNG({ width: 20, height: 20 });
    for (let i = 0; i < 400; i++) {
      for (let c = 0; c < 3; c++) png.data[4 * i + c] = Math.max(0, Math.min(255, rgb[c] + Math.round((rng.next() - 0.5) * 120)));
      png.data[4 * i + 3] = 255;
    }
    fs.writeFileSync(path.join(dir, `${k}.png`), PNG.sync.write(png));
  }
}

describe('training an image classifier on a class-per-folder dataset', function () {
  this.timeout(300000);

  it('learns to tell red images from blue ones (vit-op17, label ids from config.json)', async function () {
    if (!fixtureIds().includes('vit-op17')) this.skip();
    const { dir, cleanup } = tempDir();
    try {
      const rng = new Rng(11);
      writeClass(dir, 'cat', [200, 40, 40], 40, rng);
      writeClass(dir, 'ship', [40, 40, 200], 40, rng);
      const r = await trainOnData({ model: fixturePath('vit-op17'), data: dir, steps: 40, batch: 8, seq: 1, lr: 3e-3, evalAtStart: true, evalEvery: 20, evalBatches: 'all', provider: 'cpu' });
      const end = r.curve[r.curve.length - 1].valLoss!;
      assert.equal(r.tokenizer, 'images');
      assert.ok(end < 0.3, `held-out loss ${r.initialValLoss} → ${end}`);
      assert.ok(end < r.initialValLoss! - 1, `held-out loss ${r.initialValLoss} → ${end}`);
    } finally {
      cleanup();
    }
  });

  it('rejects images outside class subfolders and more classes than the model has', async function () {
    if (!fixtureIds().includes('vit-op17')) this.skip();
    const { dir, cleanup } = tempDir();
    try {
      const rng = new Rng(1);
      writeClass(dir, 'a', [0, 0, 0], 2, rng);
      fs.copyFileSync(path.join(dir, 'a', '0.png'), path.join(dir, 'loose.png'));
      await assert.rejects(trainOnData({ model: fixturePath('vit-op17'), data: dir, steps: 1, batch: 2, seq: 1, lr: 1e-3, provider: 'cpu' }), /not in a class subfolder/);
      fs.rmSync(path.join(dir, 'loose.png'));
      for (let k = 0; k < 11; k++) writeClass(dir, `class${k}`, [k * 20, 0, 0], 1, rng);
      await assert.rejects(trainOnData({ model: fixturePath('vit-op17'), data: dir, steps: 1, batch: 2, seq: 1, lr: 1e-3, provider: 'cpu' }), /10 outputs/);
    } finally {
      cleanup();
    }
  });
});
