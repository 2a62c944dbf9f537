import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readConvergenceFile } from '../../../src/core/converge/convergenceFile';
import { defaultSteps, estimateConvergence } from '../../../src/core/converge/estimate';
import { runConvergence, type ConvergeRequest } from '../../../src/core/converge/runConvergence';
import type { ConvergeSettings } from '../../../src/core/converge/settings';
import { isSubcloneError } from '../../../src/core/errors';
import { exampleDir, fixturePath, tempDir } from '../../helpers/paths';

const KJV = path.join(exampleDir, 'kjv.txt');
const CHILD = fixturePath('gpt2-op14'); // 3 layers × 36, context 64: a few ms per step at 2 × 16
const SMALL: Partial<ConvergeSettings> = { steps: 6, batch: 2, seq: 16, evalEvery: 3, evalBatches: 1, lrs: [1e-3, 3e-3], randomLrs: [1e-2], provider: 'cpu', widen: 0 };

describe('convergence sweep', function () {
  this.timeout(60000);
  let tmp: { dir: string; cleanup: () => void };
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());
  const req = (settings: Partial<ConvergeSettings>, extra: Partial<ConvergeRequest> = {}): ConvergeRequest => ({ child: CHILD, data: KJV, outDir: tmp.dir, settings: { ...SMALL, ...settings }, ...extra });

  it('trains every run side by side, reports each point, and writes the file and one CSV per run', async () => {
    const points: [number, number][] = [];
    const started: number[] = [];
    const finished: number[] = [];
    let files = 0;
    const r = await runConvergence(req({ parallel: 2 }), {
      onPoint: (i, p) => points.push([i, p.step]),
      onRunStart: (i) => started.push(i),
      onRunFinish: (i, run) => finished.push(i) && assert.equal(run.status, 'finished'),
      onFile: () => files++,
    });
    assert.equal(r.cancelled, false);
    const f = readConvergenceFile(r.file);
    assert.deepEqual(f, JSON.parse(JSON.stringify(r.content)));
    assert.equal(f.status, 'finished');
    assert.equal(f.settings.parallel, 2);
    assert.deepEqual(f.runs.map((x) => [x.init, x.lr, x.status]), [['subclone', 1e-3, 'finished'], ['subclone', 3e-3, 'finished'], ['random', 1e-2, 'finished']]);
    for (const run of f.runs) assert.deepEqual(run.points.map((p) => p.step), [0, 3, 6]);
    assert.deepEqual(started.sort(), [0, 1, 2]);
    assert.deepEqual(finished.sort(), [0, 1, 2]);
    assert.equal(points.length, 9);
    assert.equal(files, 1 + 3 + 1, 'after the plan, after each run, at the end');
    assert.deepEqual(fs.readdirSync(tmp.dir).sort(), ['convergence.json', 'random-lr1e-2.csv', 'subclone-lr1e-3.csv', 'subclone-lr3e-3.csv']);
    const csv = fs.readFileSync(path.join(tmp.dir, 'subclone-lr1e-3.csv'), 'utf8').trim().split('\n');
    assert.equal(csv.length, 7);
    assert.equal(f.data.kind, 'text');
    assert.equal(f.data.validationItems, 2);
    assert.equal(f.parent, null, 'a fixture has no subclone.json');
    assert.equal(typeof f.verdict.target, 'number');
  });

  it('widens a sweep whose best lr is its highest: one more run at the next ×2, announced, trained and in the verdict', async () => {
    // 6 steps at tiny rates: the higher the lr, the lower the loss, so the best is always the top of the sweep.
    const added: [number, string, number][] = [];
    const r = await runConvergence(req({ lrs: [1e-4, 2e-4], randomLrs: [1e-2], widen: 2, parallel: 2 }), { onRunAdded: (i, run) => added.push([i, run.init, run.lr]) });
    const f = readConvergenceFile(r.file);
    assert.deepEqual(added, [[3, 'subclone', 4e-4], [4, 'subclone', 8e-4]], 'two rounds: 4e-4 was the edge again');
    assert.deepEqual(f.runs.map((x) => [x.init, x.lr, x.status]), [['subclone', 1e-4, 'finished'], ['subclone', 2e-4, 'finished'], ['random', 1e-2, 'finished'], ['subclone', 4e-4, 'finished'], ['subclone', 8e-4, 'finished']]);
    assert.equal(f.verdict.bestLr.subclone, 8e-4);
    assert.equal(f.verdict.edges.subclone, 'highest', 'still the edge after the budget of 2: the verdict says to widen further');
    assert.deepEqual(f.verdict.over, { finished: 5, planned: 5 });
    assert.ok(fs.existsSync(path.join(tmp.dir, 'subclone-lr8e-4.csv')));
  });

  it('gives the same curves one after another as side by side: every run sees the same data order', async () => {
    const seq = await runConvergence(req({ parallel: 1 }));
    const par = await runConvergence(req({ parallel: 3 }), {}).catch(() => undefined);
    assert.equal(par, undefined, 'the folder already has a convergence.json: refused without overwrite');
    const again = await runConvergence(req({ parallel: 3 }, { overwrite: true }));
    seq.content.runs.forEach((run, i) => {
      const other = again.content.runs[i].points;
      run.points.forEach((p, k) => assert.ok(Math.abs(p.valLoss - other[k].valLoss) < 1e-4, `run ${i} point ${k}: ${p.valLoss} vs ${other[k].valLoss}`));
    });
    // Step 0 is before any update: the subclone runs share it, the random run's differs.
    assert.equal(seq.content.runs[0].points[0].valLoss, seq.content.runs[1].points[0].valLoss);
    assert.notEqual(seq.content.runs[0].points[0].valLoss, seq.content.runs[2].points[0].valLoss);
  });

  for (const parallel of [1, 2]) {
    it(`cancel (${parallel === 1 ? 'one after another' : 'side by side'}) stops the running runs and keeps the finished ones, with the verdict over them`, async () => {
      const controller = new AbortController();
      let finished = 0;
      // Start order: subclone@1e-3 (0), random@2e-2 (2), random@1e-2 (1).
      const r = await runConvergence(req({ parallel, steps: 40, evalEvery: 20, lrs: [1e-3], randomLrs: [1e-2, 2e-2] }), {
        signal: controller.signal,
        onRunFinish: () => finished++,
        onStep: (i, p) => {
          if (i === (parallel === 1 ? 2 : 1) && p.step === 2 && finished === parallel) controller.abort();
        },
      });
      assert.equal(r.cancelled, true);
      const f = readConvergenceFile(r.file);
      assert.equal(f.status, 'cancelled');
      const [sub, r1, r2] = f.runs;
      assert.equal(sub.status, 'finished');
      if (parallel === 1) {
        assert.equal(r2.status, 'cancelled');
        assert.equal(r2.stepsDone, 2, 'in this thread the run stops before its next step');
        assert.equal(r1.status, 'cancelled');
        assert.equal(r1.points.length, 0, 'never started');
        assert.deepEqual(f.verdict.over, { finished: 1, planned: 3 });
        assert.match(f.verdict.sentence, /No random-init run finished/);
        assert.ok(fs.existsSync(path.join(tmp.dir, 'random-lr2e-2.csv')), 'the cancelled run keeps the steps it did');
      } else {
        assert.equal(r2.status, 'finished');
        assert.equal(r1.status, 'cancelled');
        assert.ok(r1.stepsDone >= 2 && r1.stepsDone < 40, `${r1.stepsDone}`);
        assert.deepEqual(f.verdict.over, { finished: 2, planned: 3 });
        assert.equal(f.verdict.target, r2.points[r2.points.length - 1].valLoss);
      }
    });
  }

  it('a run whose loss becomes NaN ends as diverged, and the sweep goes on', async () => {
    const r = await runConvergence(req({ parallel: 1, steps: 30, evalEvery: 10, lrs: [1e-3], randomLrs: [1e4] }));
    const [sub, rnd] = r.content.runs;
    assert.equal(sub.status, 'finished');
    assert.equal(rnd.status, 'diverged');
    assert.match(rnd.error!, /the loss became (NaN|-?Infinity) at step \d+/);
    assert.ok(rnd.stepsDone < 30);
    assert.equal(r.content.status, 'finished');
    assert.equal(r.content.verdict.target, null);
  });

  it('names a model the trainer cannot train before anything runs', async () => {
    const out = path.join(tmp.dir, 'never');
    await assert.rejects(runConvergence({ child: fixturePath('bert-op14'), data: KJV, outDir: out, settings: SMALL }), (e) =>
      isSubcloneError(e, 'Unsupported') && /encoder without a head/.test(e.message) && /model\.onnx/.test(e.message));
    await assert.rejects(runConvergence({ child: CHILD, data: path.join(exampleDir, '..', '..', 'test', 'fixtures', 'images'), outDir: out, settings: SMALL }), (e) =>
      isSubcloneError(e, 'Unsupported') && /image folder/.test(e.message));
    assert.equal(fs.existsSync(out), false, 'nothing was written');
  });

  it('refuses a second sweep on the same child while one runs', async () => {
    const controller = new AbortController();
    let second: Promise<unknown> | undefined;
    const first = runConvergence(req({ parallel: 1, steps: 2000, evalEvery: 1000, lrs: [1e-3], randomLrs: [] }), {
      signal: controller.signal,
      onStep: (_i, p) => {
        if (p.step !== 3) return;
        second = runConvergence(req({}, { overwrite: true }));
        void second.finally(() => controller.abort()).catch(() => undefined);
      },
    });
    await first;
    await assert.rejects(second!, (e) => isSubcloneError(e, 'Exists') && /already running/.test(e.message));
  });

  it('estimates a sweep from a few timed steps and gives default steps for a two-minute budget', async () => {
    const e = await estimateConvergence(CHILD, KJV, { ...SMALL, steps: 600, parallel: 2 });
    assert.ok(e.stepSeconds > 0 && e.stepSeconds < 5, `${e.stepSeconds}`);
    assert.ok(e.evalSeconds >= 0 && e.prepareSeconds > 0);
    assert.equal(e.runs, 3);
    assert.equal(e.parallel, 2);
    assert.ok(Math.abs(e.sweepSeconds - 2 * e.runSeconds) < 1e-9);
    const steps = defaultSteps(e, e.settings, e.runs);
    assert.ok(steps >= 20 && steps % 10 === 0, `${steps}`);
  });
});
