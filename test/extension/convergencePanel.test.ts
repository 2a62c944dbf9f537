import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SubcloneApi } from '../../src/extension/api';
import type { SweepOutcome } from '../../src/extension/convergence/convergencePanel';
import type { ToConvergence } from '../../src/protocol/convergenceProtocol';
import type { Result } from '../../src/protocol/workerProtocol';
import { activateExtension, closeAllEditors, exampleModel, outputDir, runReporting } from './harness';

type Message<T extends ToConvergence['type']> = Extract<ToConvergence, { type: T }>;

/** Every message the child's panel posts from now on, and a way to wait for one that matches. */
function recorder(api: SubcloneApi, child: string) {
  const seen: ToConvergence[] = [];
  const waiters: { test: (m: ToConvergence) => boolean; resolve: (m: ToConvergence) => void }[] = [];
  const sub = api.onDidPostConvergence(({ child: c, message }) => {
    if (c !== child) return;
    seen.push(message);
    for (const w of waiters.splice(0)) (w.test(message) ? w.resolve(message) : waiters.push(w));
  });
  return {
    seen,
    of: <T extends ToConvergence['type']>(type: T) => seen.filter((m): m is Message<T> => m.type === type),
    next<T extends ToConvergence['type']>(type: T, test: (m: Message<T>) => boolean = () => true, timeoutMs = 120_000): Promise<Message<T>> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the convergence panel posted no ${type} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ test: (m) => m.type === type && test(m as Message<T>), resolve: (m) => (clearTimeout(timer), resolve(m as Message<T>)) });
      });
    },
    dispose: () => sub.dispose(),
  };
}

describe('the convergence panel', () => {
  let api: SubcloneApi;
  let child: string;
  let kjv: string;
  const short = { lrs: [3e-3], randomLrs: [1.2e-2], batch: 4, seq: 64, evalEvery: 5 };

  before(async function () {
    this.timeout(180_000);
    api = await activateExtension();
    kjv = vscode.Uri.joinPath(exampleModel(), '..', 'kjv.txt').fsPath;
    const r = await runReporting<Result<'apply'>>(api, 'subclone.subclone', exampleModel(), { shape: 'half-both', data: null, outDir: outputDir('converge-child'), overwrite: true });
    child = r.modelFile;
  });
  afterEach(closeAllEditors);

  it('opens on a subclone with its parent, no saved results and the data it was given [waits on convergeSetup]', async () => {
    const rec = recorder(api, child);
    const init = rec.next('init');
    await vscode.commands.executeCommand('subclone.checkConvergence', vscode.Uri.file(child), { data: kjv });
    const m = await init;
    rec.dispose();
    assert.equal(m.child.file, child);
    assert.match(m.child.shape ?? '', /^3 layers × 96 · 3 heads · FFN 384$/);
    assert.match(m.child.parent?.shape ?? '', /^6 layers × 192/);
    assert.equal(m.untrainable, null);
    assert.equal(m.actionsDisabledReason, null);
    assert.equal(m.saved, null);
    assert.equal(m.setup.data, kjv);
    assert.equal(m.setup.steps, null, 'steps start at auto (subclone.convergence.steps = 0)');
    assert.deepEqual(m.setup.lrs, [7.5e-4, 1.5e-3, 3e-3, 6e-3], 'the sweeps start from the setting');
  });

  it('a 20-step sweep streams every run’s curve and ends in a verdict, with convergence.json and one CSV per run [waits on converge]', async function () {
    this.timeout(240_000);
    const rec = recorder(api, child);
    const outcome = await runReporting<SweepOutcome>(api, 'subclone.checkConvergence', vscode.Uri.file(child), { data: kjv, steps: 20, ...short, run: true, overwrite: true });
    rec.dispose();
    const plan = rec.of('plan');
    assert.equal(plan.length, 1);
    assert.deepEqual(plan[0].runs.map((r) => `${r.init}@${r.lr}×${r.steps}`), ['subclone@0.003×20', 'random@0.012×20']);
    for (const run of [0, 1]) {
      const steps = rec.of('point').filter((p) => p.run === run).map((p) => p.point.step);
      assert.deepEqual(steps, [0, 5, 10, 15, 20], `run ${run} streamed its evaluations`);
    }
    assert.deepEqual(rec.of('runStatus').filter((s) => s.status === 'finished').map((s) => s.run).sort(), [0, 1]);
    const finished = rec.of('finished');
    assert.equal(finished.length, 1);
    assert.equal(outcome.cancelled, false);
    const v = outcome.content.verdict;
    assert.deepEqual(v.over, { finished: 2, planned: 2 });
    assert.equal(v.bestLr.random, 1.2e-2);
    assert.equal(typeof v.sentence, 'string');
    assert.ok(v.sentence.length > 20, v.sentence);
    // The streamed points are the file's points.
    const saved = JSON.parse(fs.readFileSync(outcome.file, 'utf8')) as SweepOutcome['content'];
    const streamed = rec.of('point').filter((p) => p.run === 1).map((p) => p.point.valLoss);
    assert.deepEqual(saved.runs[1].points.map((p) => Number(p.valLoss.toPrecision(6))), streamed, 'the progress lines carry 6 significant digits');
    for (const r of saved.runs) assert.ok(fs.existsSync(path.join(path.dirname(outcome.file), r.csv!)), `${r.csv} was written`);
  });

  it('reopening shows the saved results; Cancel keeps the runs that finished; a second sweep at once is refused [waits on converge]', async function () {
    this.timeout(300_000);
    const uri = vscode.Uri.file(child);
    let rec = recorder(api, child);
    const init = rec.next('init');
    await vscode.commands.executeCommand('subclone.checkConvergence', uri);
    const reopened = await init;
    rec.dispose();
    assert.equal(reopened.saved?.content.status, 'finished');
    assert.equal(reopened.saved?.content.runs.length, 2);
    assert.equal(reopened.setup.steps, 20, 'the Setup starts from the saved sweep’s settings');

    // Three runs, two side by side: the first two finish, then Cancel stops the third.
    rec = recorder(api, child);
    const finishedRuns = () => new Set(rec.of('runStatus').filter((s) => s.status === 'finished').map((s) => s.run));
    const thirdStarted = rec.next('point', (p) => finishedRuns().size === 2 && !finishedRuns().has(p.run) && p.point.step >= 5, 240_000);
    const sweep = vscode.commands.executeCommand<SweepOutcome | undefined>('subclone.checkConvergence', uri, { data: kjv, steps: 30, ...short, randomLrs: [6e-3, 1.2e-2], run: true, overwrite: true });
    await thirdStarted;
    const busy = rec.next('requestError', (e) => e.code === 'Busy', 30_000);
    const second = await vscode.commands.executeCommand<SweepOutcome | undefined>('subclone.checkConvergence', uri, { run: true, overwrite: true });
    assert.equal(second, undefined, 'a second sweep on the same child is refused while one runs');
    assert.match((await busy).message, /already running/);
    const cancelled = await vscode.commands.executeCommand<SweepOutcome | undefined>('subclone.cancelConvergence', uri);
    const outcome = await sweep;
    rec.dispose();
    assert.ok(outcome && cancelled, 'the sweep resolved');
    assert.equal(outcome.cancelled, true);
    const statuses = outcome.content.runs.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 'finished').length, 2, `statuses: ${statuses.join(', ')}`);
    assert.equal(outcome.content.verdict.over.finished, 2);
    const onDisk = JSON.parse(fs.readFileSync(outcome.file, 'utf8')) as SweepOutcome['content'];
    assert.equal(onDisk.status, 'cancelled');
    assert.deepEqual(onDisk.runs.map((r) => r.status), statuses);
  });
});
