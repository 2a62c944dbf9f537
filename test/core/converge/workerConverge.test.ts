import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { parseConvergeEvent, type ConvergeEvent } from '../../../src/core/converge/progressMessage';
import { WorkerClient } from '../../../src/worker/workerClient';
import { ensureBuilt } from '../../helpers/cli';
import { exampleDir, fixturePath, repoRoot, tempDir } from '../../helpers/paths';

/**
 * The engine as the extension runs it: in the model worker (dist/worker.js), whose sweep members run in worker
 * threads of their own from the bundled dist/convergeMember.js (what the .vsix ships).
 */
describe('convergence in the model worker', function () {
  this.timeout(60000);
  before(() => ensureBuilt());
  const params = (outDir: string, steps: number) => ({
    child: fixturePath('gpt2-op14'),
    data: path.join(exampleDir, 'kjv.txt'),
    outDir,
    settings: { steps, batch: 2, seq: 16, evalEvery: 3, evalBatches: 1, lrs: [1e-3], randomLrs: [1e-2], parallel: 2, provider: 'cpu' as const },
  });

  it('streams each run’s status and points as progress lines and resolves with the file', async () => {
    const { dir, cleanup } = tempDir();
    const client = new WorkerClient(path.join(repoRoot, 'dist', 'worker.js'), 'cpu');
    try {
      const events: ConvergeEvent[] = [];
      const r = await client.call('converge', params(dir, 6), { onProgress: (_f, m) => events.push(parseConvergeEvent(m)!) });
      assert.equal(r.cancelled, false);
      assert.equal(r.file, path.join(dir, 'convergence.json'));
      assert.deepEqual(r.content.runs.map((x) => x.status), ['finished', 'finished']);
      assert.ok(events.every(Boolean), 'every progress line parses');
      for (const run of [0, 1]) {
        const mine = events.filter((e) => e.run === run);
        assert.deepEqual(mine.map((e) => (e.kind === 'status' ? e.status : e.point.step)), ['running', 0, 3, 6, 'finished']);
      }
      const estimate = await client.call('convergeEstimate', { ...params(dir, 600), settings: { ...params(dir, 600).settings } });
      assert.ok(estimate.stepSeconds > 0 && estimate.defaultSteps >= 20);
    } finally {
      await client.dispose();
      cleanup();
    }
  });

  it('cancel through the worker stops the members and resolves with the runs that finished', async () => {
    const { dir, cleanup } = tempDir();
    const client = new WorkerClient(path.join(repoRoot, 'dist', 'worker.js'), 'cpu');
    try {
      const controller = new AbortController();
      const r = await client.call('converge', params(dir, 100000), {
        signal: controller.signal,
        onProgress: (_f, m) => {
          const e = parseConvergeEvent(m);
          if (e?.kind === 'point' && e.point.step === 3) controller.abort();
        },
      });
      assert.equal(r.cancelled, true);
      assert.equal(r.content.status, 'cancelled');
      assert.ok(r.content.runs.every((x) => x.status === 'cancelled' && x.stepsDone < 100), JSON.stringify(r.content.runs.map((x) => x.stepsDone)));
    } finally {
      await client.dispose();
      cleanup();
    }
  });
});
