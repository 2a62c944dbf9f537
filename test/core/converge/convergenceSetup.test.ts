import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { convergenceSetup } from '../../../src/core/converge/convergenceSetup';
import { runConvergence } from '../../../src/core/converge/runConvergence';
import { subclone } from '../../../src/core/subclone/subclone';
import { exampleDir, exampleModel, fixturePath, tempDir } from '../../helpers/paths';

const KJV = path.join(exampleDir, 'kjv.txt');

describe('convergence panel setup (what the Setup cell starts from)', function () {
  this.timeout(120000);
  let tmp: { dir: string; cleanup: () => void };
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('reads a subclone: its shape, its parent from subclone.json, the data it was calibrated on, then the saved sweep', async () => {
    const out = path.join(tmp.dir, 'child');
    await subclone(exampleModel, { shape: { layers: 2, dModel: 64, heads: 2, kvHeads: 2, ffn: 128 }, data: KJV, outDir: out, provider: 'cpu', blocks: { kind: 'first' }, samples: 4, verifySamples: 4 });
    const child = path.join(out, 'model.onnx');
    const s = await convergenceSetup(child);
    assert.equal(s.child.file, child);
    assert.equal(s.child.shape, '2 layers × 64 · 2 heads · FFN 128');
    assert.equal(s.child.parent?.shape, '6 layers × 192 · 6 heads · FFN 768');
    assert.equal(s.child.parent?.file, exampleModel);
    assert.equal(s.untrainable, null);
    assert.equal(s.data, KJV);
    assert.equal(s.saved, null);

    await runConvergence({ child, data: KJV, settings: { steps: 2, batch: 1, seq: 16, evalEvery: 1, evalBatches: 1, lrs: [1e-3], randomLrs: [], provider: 'cpu' } });
    const again = await convergenceSetup(child);
    assert.equal(again.saved?.file, path.join(out, 'convergence', 'convergence.json'));
    assert.equal(again.saved?.content.runs[0].points.length, 3);
    fs.writeFileSync(again.saved!.file, '{"version": 1}');
    const broken = await convergenceSetup(child);
    assert.equal(broken.saved, null);
    assert.match(broken.savedProblem ?? '', /is not a convergence file/);
  });

  it('names an encoder without a head before anything runs, and has no parent for a model Subclone did not make', async () => {
    const s = await convergenceSetup(fixturePath('bert-op14'));
    assert.match(s.untrainable ?? '', /encoder without a head/);
    assert.equal(s.child.parent, null);
    assert.equal(s.data, null);
  });
});
