import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CONVERGENCE_FILE,
  convergenceFileProblems,
  readConvergenceFile,
  runCsvName,
  writeConvergence,
  type ConvergenceFile,
} from '../../../src/core/converge/convergenceFile';
import { resolveSettings } from '../../../src/core/converge/settings';
import { computeVerdict } from '../../../src/core/converge/verdict';
import { CURVE_HEADER } from '../../../src/core/train/curveCsv';
import { isSubcloneError } from '../../../src/core/errors';
import { tempDir } from '../../helpers/paths';

/** A small, complete file as runConvergence writes it. */
export function sampleFile(): ConvergenceFile {
  const points = (v: number[]) => v.map((valLoss, k) => ({ step: k * 10, trainLoss: k ? valLoss + 0.1 : null, valLoss, seconds: k }));
  const runs: ConvergenceFile['runs'] = [
    { init: 'subclone', lr: 3e-3, status: 'finished', steps: 20, stepsDone: 20, points: points([2.9, 2.2, 1.9]), csv: runCsvName('subclone', 3e-3), seconds: 2, tokensPerS: 1000 },
    { init: 'random', lr: 1.2e-2, status: 'finished', steps: 20, stepsDone: 20, points: points([5.5, 3.0, 2.0]), csv: runCsvName('random', 1.2e-2), seconds: 2, tokensPerS: 1000 },
  ];
  return {
    version: 1,
    tool: 'subclone test',
    createdAt: new Date(0).toISOString(),
    finishedAt: new Date(1000).toISOString(),
    status: 'finished',
    child: { file: '/m/model.onnx', sha256: 'ab', family: 'gpt2', dims: null, parameters: 10 },
    parent: null,
    subclone: null,
    data: { path: '/d.txt', kind: 'text', tokenizer: 'bytes', trainItems: 100, validationItems: 2, validationTokens: 64 },
    settings: resolveSettings({ steps: 20, lrs: [3e-3], randomLrs: [1.2e-2] }, 1),
    provider: 'cpu',
    runs,
    verdict: computeVerdict(runs),
    seconds: 4,
  };
}

describe('convergence.json', () => {
  it('is written atomically with one CSV per run, and reads back as it was', () => {
    const { dir, cleanup } = tempDir();
    try {
      const f = sampleFile();
      const curve = [{ step: 1, lr: 1e-3, trainLoss: 3, valLoss: null, tokensPerS: 10 }, { step: 2, lr: 2e-3, trainLoss: 2.5, valLoss: 2.4, tokensPerS: 11 }];
      const written = writeConvergence(dir, f, new Map([[0, curve], [1, curve]]));
      assert.equal(written, path.join(dir, CONVERGENCE_FILE));
      assert.deepEqual(fs.readdirSync(dir).sort(), ['convergence.json', 'random-lr1.2e-2.csv', 'subclone-lr3e-3.csv']);
      const csv = fs.readFileSync(path.join(dir, 'subclone-lr3e-3.csv'), 'utf8').trim().split('\n');
      assert.equal(csv[0], CURVE_HEADER);
      assert.equal(csv[0], 'step,lr,train_loss,val_loss,tokens_per_s');
      assert.equal(csv.length, 3);
      assert.deepEqual(readConvergenceFile(written), f);
    } finally {
      cleanup();
    }
  });

  it('has the documented schema: runs with init, lr and points; the verdict with target, speed-ups, best lrs and reached', () => {
    const f = sampleFile();
    assert.deepEqual(convergenceFileProblems(f), []);
    const json = JSON.parse(JSON.stringify(f)) as Record<string, unknown>;
    for (const key of ['version', 'tool', 'createdAt', 'finishedAt', 'status', 'child', 'parent', 'subclone', 'data', 'settings', 'provider', 'runs', 'verdict', 'seconds']) {
      assert.ok(key in json, key);
    }
    const v = json.verdict as Record<string, unknown>;
    for (const key of ['target', 'speedupVsBestRandom', 'speedupAtEqualLr', 'bestLr', 'reached', 'stepsToTarget', 'stepsToLoss', 'fastest', 'edges', 'over', 'sentence']) {
      assert.ok(key in v, `verdict.${key}`);
    }
    const run = (json.runs as Record<string, unknown>[])[0];
    assert.deepEqual(Object.keys((run.points as object[])[0]).sort(), ['seconds', 'step', 'trainLoss', 'valLoss']);
  });

  it('names what is wrong with a file that is not one', () => {
    assert.deepEqual(convergenceFileProblems([]), ['not a JSON object']);
    const f = sampleFile() as unknown as Record<string, unknown>;
    assert.match(convergenceFileProblems({ ...f, version: 2 }).join(), /version must be 1/);
    assert.match(convergenceFileProblems({ ...f, runs: [{ init: 'other', lr: 1, points: [] }] }).join(), /init must be subclone\|random/);
    assert.match(convergenceFileProblems({ ...f, verdict: { ...(f.verdict as object), reached: 'yes' } }).join(), /verdict must have/);
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'x.json');
      fs.writeFileSync(file, JSON.stringify({ ...f, status: 'odd' }));
      assert.throws(() => readConvergenceFile(file), (e) => isSubcloneError(e, 'BadArgument') && /status odd/.test(e.message));
      assert.throws(() => readConvergenceFile(path.join(dir, 'none.json')), (e) => isSubcloneError(e, 'MissingData'));
    } finally {
      cleanup();
    }
  });
});
