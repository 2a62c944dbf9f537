import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isSubcloneError } from '../../../src/core/errors';
import { buildTrainingGraph } from '../../../src/core/train/trainingGraph';
import { fixtureIds, fixturesDir, sharedFixtures } from '../../helpers/paths';
import { loadFixture } from './fixtureTarget';
import { compareGradients } from './gradientCompare';

/**
 * Whole-model gradients against PyTorch's, saved by the fixture generator for one fixed batch (refs.json:
 * `loss`, `grad:<initializer>` in ONNX layout, each stored copy of a tied weight with its own use's gradient).
 * Per tensor: ‖g − g_torch‖ / ‖g_torch‖ < 1e-3 (1e-2 for the model computed entirely in float16), with gradients
 * that vanish in exact arithmetic measured against 1e-4 of the largest norm. Checked twice: tied copies kept as
 * separate parameters (each against its own gradient) and tied in the graph (the trained table against the sum).
 */
const TOLERANCE = 1e-3;
const FP16_TOLERANCE = 1e-2;
const LOSS_TOLERANCE = 1e-5;

const modelDirs = fixtureIds().map((id) => path.join(fixturesDir, 'models', id));
const sharedDirs = fs.existsSync(path.join(fixturesDir, 'shared-refs'))
  ? fs.readdirSync(path.join(fixturesDir, 'shared-refs')).map((n) => path.join(fixturesDir, 'shared-refs', n))
  : [];

function isTransformer(dir: string): boolean {
  const truth = JSON.parse(fs.readFileSync(path.join(dir, 'truth.json'), 'utf8')) as { transformer?: boolean };
  return truth.transformer !== false;
}

describe('training graph: whole-model gradients equal PyTorch', function () {
  this.timeout(300000);

  for (const dir of [...modelDirs.filter(isTransformer), ...sharedDirs]) {
    const name = `${path.basename(path.dirname(dir))}/${path.basename(dir)}`;
    for (const untied of [true, false]) {
      it(`${name} (${untied ? 'copies separate' : 'tied in the graph'})`, async function () {
        if (dir.includes('shared-refs') && !sharedFixtures()) this.skip();
        const f = loadFixture(dir);
        try {
          const r = await compareGradients(f, untied);
          const tolerance = f.truth.export.weights === 'float16' && !dir.endsWith('fp16w') ? FP16_TOLERANCE : TOLERANCE;
          assert.ok(Math.abs(r.loss - r.refLoss) <= LOSS_TOLERANCE * Math.max(1, r.refLoss) * (tolerance / TOLERANCE),
            `loss ${r.loss} vs PyTorch ${r.refLoss}`);
          assert.ok(r.errors.length >= 5, 'too few parameters compared');
          assert.ok(r.worst.relative < tolerance, `${r.worst.param}: relative error ${r.worst.relative.toExponential(2)}`);
        } finally {
          f.model.close();
        }
      });
    }
  }

  it('stops with UnsupportedOp naming the node when an op has no rule (MaxPool in cnn-op17)', async function () {
    if (!fixtureIds().includes('cnn-op17')) this.skip();
    const f = loadFixture(path.join(fixturesDir, 'models', 'cnn-op17'));
    await assert.rejects(buildTrainingGraph(f.model, f.target, f.feeds), (e: unknown) =>
      isSubcloneError(e, 'UnsupportedOp') && /MaxPool/.test(e.message) && /features\.\d+\/MaxPool/.test(e.message));
    f.model.close();
  });
});
