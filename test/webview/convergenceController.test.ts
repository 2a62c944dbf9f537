import * as assert from 'node:assert/strict';
import type { ChildSummary, ConvergenceFile, FromConvergence, SetupValues, ToConvergence } from '../../src/protocol/convergenceProtocol';
import { Controller } from '../../webview/convergence/controller';
import type { UiState } from '../../webview/convergence/state';

const CHILD: ChildSummary = { file: '/w/child/model.onnx', shape: '3 layers × 96 · 3 heads · FFN 384', parameters: 372576, parent: null };
const SETUP: SetupValues = { data: '/w/kjv.txt', steps: null, batch: 16, seq: 128, evalEvery: null, lrs: [1e-3, 2e-3], randomLrs: [4e-3] };

function init(over: Partial<Extract<ToConvergence, { type: 'init' }>> = {}): ToConvergence {
  return { type: 'init', child: CHILD, setup: SETUP, saved: null, untrainable: null, actionsDisabledReason: null, ...over };
}

function file(status: ConvergenceFile['status'] = 'finished'): ConvergenceFile {
  const points = [
    { step: 0, trainLoss: null, valLoss: 3, seconds: 0 },
    { step: 60, trainLoss: 2, valLoss: 2.1, seconds: 5 },
  ];
  const r = (init: 'subclone' | 'random', lr: number) => ({ init, lr, status: 'finished' as const, steps: 60, stepsDone: 60, points, csv: `${init}-lr${lr}.csv`, seconds: 6, tokensPerS: 100 });
  return { status, runs: [r('subclone', 1e-3), r('subclone', 2e-3), r('random', 4e-3)], verdict: { sentence: 'the verdict', bestLr: { subclone: 1e-3, random: 4e-3 } }, seconds: 20, createdAt: '2026-12-03T09:00:00Z', finishedAt: '2026-12-03T09:01:00Z' } as unknown as ConvergenceFile;
}

function harness(saved?: unknown) {
  const posted: FromConvergence[] = [];
  let state: unknown = saved;
  let repaints = 0;
  const c = new Controller({ post: (m) => posted.push(m), getState: () => state, setState: (s) => (state = structuredClone(s)) }, () => repaints++);
  return { c, posted, state: () => state as UiState, repaints: () => repaints };
}

describe('convergence panel: controller', () => {
  it('starts the fields from the host’s setup and keeps the edits in the state, by child', () => {
    const h = harness();
    h.c.handle(init());
    assert.equal(h.c.model?.ui.text.lrs, '1e-3, 2e-3');
    h.c.edit('steps', '300');
    assert.equal(h.state().child, CHILD.file);
    assert.equal(h.state().text.steps, '300');
    assert.ok(h.repaints() > 0);

    const reloaded = harness(h.state());
    reloaded.c.handle(init());
    assert.equal(reloaded.c.model?.ui.text.steps, '300', 'a reload keeps the edits');
    const other = harness(h.state());
    other.c.handle(init({ child: { ...CHILD, file: '/w/other/model.onnx' } }));
    assert.equal(other.c.model?.ui.text.steps, '', 'another child starts from the host’s setup');
  });

  it('a later init in the same page keeps the edits, unless the host’s setup changed', () => {
    const h = harness();
    h.c.handle(init());
    h.c.edit('batch', '8');
    h.c.handle(init({ actionsDisabledReason: null }));
    assert.equal(h.c.model?.ui.text.batch, '8');
    h.c.handle(init({ setup: { ...SETUP, batch: 32 } }));
    assert.equal(h.c.model?.ui.text.batch, '32', 'the command was run again with other options');
  });

  it('answers only the estimate it asked for last', () => {
    const h = harness();
    h.c.handle(init());
    h.c.estimate();
    const sent = h.posted.at(-1);
    assert.ok(sent?.type === 'estimate');
    assert.deepEqual(sent.setup, SETUP);
    const estimate = { setup: { ...SETUP, data: SETUP.data!, steps: 600, evalEvery: 25 }, runs: 3, parallel: 2, stepSeconds: 0.08, runSeconds: 50, sweepSeconds: 100, defaultSteps: 600, tokensPerStep: 2048 };
    const model = () => h.c.model!;
    h.c.handle({ type: 'estimate', requestId: sent.requestId + 7, estimate });
    assert.equal(model().ui.estimate, null, 'a stale answer is dropped');
    assert.ok(model().estimating);
    h.c.handle({ type: 'estimate', requestId: sent.requestId, estimate });
    assert.equal(model().ui.estimate?.view.defaultSteps, 600);
    assert.equal(h.c.model?.estimating, null);
    assert.equal(h.state().markers.setup, 1, 'the Setup cell ran as execution 1');
  });

  it('shows an estimate’s error in the Setup cell', () => {
    const h = harness();
    h.c.handle(init());
    h.c.estimate();
    const id = (h.posted.at(-1) as { requestId: number }).requestId;
    h.c.handle({ type: 'requestError', requestId: id, code: 'MissingData', message: 'the training data /w/kjv.txt does not exist' });
    assert.equal(h.c.model?.estimateError, 'the training data /w/kjv.txt does not exist');
    assert.equal(h.c.model?.estimating, null);
    assert.equal(h.c.model?.runMessage, null);
  });

  it('runs a sweep: plan, the current request’s events only, then the file', () => {
    const h = harness();
    h.c.handle(init());
    h.c.run();
    const sent = h.posted.at(-1);
    assert.ok(sent?.type === 'run');
    const id = sent.requestId;
    assert.equal(h.c.model?.run?.phase, 'starting');
    h.c.handle({ type: 'plan', requestId: id, evalEvery: 3, runs: [{ init: 'subclone', lr: 1e-3, steps: 60 }, { init: 'subclone', lr: 2e-3, steps: 60 }, { init: 'random', lr: 4e-3, steps: 60 }] });
    assert.deepEqual(h.c.model?.sweep?.runs.map((r) => r.status), ['pending', 'pending', 'pending']);
    h.c.handle({ type: 'runStatus', requestId: id, run: 1, status: 'running' });
    h.c.handle({ type: 'point', requestId: id, run: 1, point: { step: 0, trainLoss: null, valLoss: 3, seconds: 0 }, fraction: 0.1 });
    h.c.handle({ type: 'point', requestId: id - 1, run: 0, point: { step: 0, trainLoss: null, valLoss: 9, seconds: 0 }, fraction: 0.9 });
    h.c.handle({ type: 'runStatus', requestId: id - 1, run: 0, status: 'failed' });
    h.c.handle({ type: 'point', requestId: id, run: 3, point: { step: 0, trainLoss: null, valLoss: 9, seconds: 0 }, fraction: 0.9 });
    const sweep = h.c.model!.sweep!;
    assert.deepEqual(sweep.runs.map((r) => r.status), ['pending', 'running', 'pending'], 'stale and out-of-range events are ignored');
    assert.deepEqual(sweep.runs.map((r) => r.points.length), [0, 1, 0]);
    assert.equal(sweep.fraction, 0.1);
    h.c.handle({ type: 'finished', requestId: id + 1, file: '/elsewhere/convergence.json', cancelled: false, content: file() });
    assert.equal(h.c.model?.run?.requestId, id, 'another request’s end is not this one’s');
    h.c.handle({ type: 'finished', requestId: id, file: '/w/child/convergence/convergence.json', cancelled: false, content: file() });
    assert.equal(h.c.model?.run, null);
    assert.equal(h.c.model?.file, '/w/child/convergence/convergence.json');
    assert.equal(h.c.model?.sweep?.phase, 'finished');
    assert.equal(h.c.model?.sweep?.content?.verdict.sentence, 'the verdict');
    assert.equal(h.state().markers.run, 1);
  });

  it('appends a run the host adds after the plan (the sweep widened), in order and for this request only', () => {
    const h = harness();
    h.c.handle(init());
    h.c.run();
    const id = (h.posted.at(-1) as Extract<FromConvergence, { type: 'run' }>).requestId;
    h.c.handle({ type: 'plan', requestId: id, evalEvery: 3, runs: [{ init: 'subclone', lr: 1e-3, steps: 60 }, { init: 'random', lr: 4e-3, steps: 60 }] });
    h.c.handle({ type: 'runAdded', requestId: id - 1, run: 2, planned: { init: 'subclone', lr: 9e-3, steps: 60 } });
    h.c.handle({ type: 'runAdded', requestId: id, run: 3, planned: { init: 'subclone', lr: 8e-3, steps: 60 } });
    assert.equal(h.c.model?.sweep?.runs.length, 2, 'a stale request’s run and an out-of-order index are not added');
    h.c.handle({ type: 'runAdded', requestId: id, run: 2, planned: { init: 'subclone', lr: 2e-3, steps: 60 } });
    h.c.handle({ type: 'point', requestId: id, run: 2, point: { step: 0, trainLoss: null, valLoss: 3, seconds: 0 }, fraction: 0.7 });
    const runs = h.c.model!.sweep!.runs;
    assert.deepEqual(runs.map((r) => [r.init, r.lr, r.status]), [['subclone', 1e-3, 'pending'], ['random', 4e-3, 'pending'], ['subclone', 2e-3, 'running']]);
    assert.equal(runs[2].points.length, 1, 'its points arrive like any run’s');
  });

  it('cancels the running request once', () => {
    const h = harness();
    h.c.handle(init());
    h.c.run();
    const id = (h.posted.at(-1) as { requestId: number }).requestId;
    h.c.cancel();
    h.c.cancel();
    assert.deepEqual(h.posted.filter((m) => m.type === 'cancel'), [{ type: 'cancel', requestId: id }]);
    assert.equal(h.c.model?.run?.phase, 'cancelling');
    h.c.handle({ type: 'plan', requestId: id, evalEvery: 3, runs: [{ init: 'subclone', lr: 1e-3, steps: 60 }] });
    assert.equal(h.c.model?.run?.phase, 'cancelling', 'a plan arriving after Cancel does not undo it');
  });

  it('keeps the saved results when the user declines to replace them', () => {
    const h = harness();
    h.c.handle(init({ saved: { file: '/w/child/convergence/convergence.json', content: file() } }));
    assert.equal(h.c.model?.sweep?.phase, 'saved');
    assert.equal(h.c.model?.ui.markers.run, 1, 'saved results count as the Run cell’s execution');
    h.c.run();
    const id = (h.posted.at(-1) as { requestId: number }).requestId;
    h.c.handle({ type: 'requestError', requestId: id, code: 'Cancelled', message: 'the saved results were kept' });
    assert.equal(h.c.model?.run, null);
    assert.deepEqual(h.c.model?.runMessage, { text: 'Not run: the saved results were kept.', error: false });
    assert.equal(h.c.model?.sweep?.phase, 'saved');
    assert.equal(h.c.model?.file, '/w/child/convergence/convergence.json');
  });

  it('a sweep that fails mid-way stops its live rows', () => {
    const h = harness();
    h.c.handle(init());
    h.c.run();
    const id = (h.posted.at(-1) as { requestId: number }).requestId;
    h.c.handle({ type: 'plan', requestId: id, evalEvery: 3, runs: [{ init: 'subclone', lr: 1e-3, steps: 60 }, { init: 'random', lr: 4e-3, steps: 60 }] });
    h.c.handle({ type: 'runStatus', requestId: id, run: 0, status: 'running' });
    h.c.handle({ type: 'requestError', requestId: id, code: 'Runtime', message: 'the worker stopped' });
    assert.deepEqual(h.c.model?.runMessage, { text: 'the worker stopped', error: true });
    assert.deepEqual(h.c.model?.sweep?.runs.map((r) => r.status), ['failed', 'failed']);
    assert.notEqual(h.c.model?.sweep?.phase, 'running');
  });

  it('shows a sweep the host started itself (the command’s run)', () => {
    const h = harness();
    h.c.handle(init());
    h.c.handle({ type: 'plan', requestId: 0, evalEvery: 3, runs: [{ init: 'subclone', lr: 1e-3, steps: 60 }] });
    assert.equal(h.c.model?.run?.requestId, 0);
    h.c.handle({ type: 'point', requestId: 0, run: 0, point: { step: 0, trainLoss: null, valLoss: 3, seconds: 0 }, fraction: 0 });
    assert.equal(h.c.model?.sweep?.runs[0].points.length, 1);
  });

  it('does nothing while the fields are invalid, the model untrainable or actions disabled', () => {
    const h = harness();
    h.c.handle(init());
    h.c.edit('lrs', '1e-3, x');
    assert.equal(h.c.blockedReason(), 'Fix the Setup fields first.');
    h.c.estimate();
    h.c.run();
    assert.deepEqual(h.posted, []);

    const u = harness();
    u.c.handle(init({ untrainable: 'an encoder without a head outputs hidden states only' }));
    assert.equal(u.c.blockedReason(), 'an encoder without a head outputs hidden states only');
    u.c.run();
    u.c.pickData();
    assert.deepEqual(u.posted, []);

    const d = harness();
    d.c.handle(init({ actionsDisabledReason: 'trust this workspace to use it.' }));
    d.c.estimate();
    assert.deepEqual(d.posted, []);
    assert.equal(d.c.pickBlockedReason(), 'trust this workspace to use it.');
  });

  it('puts a picked data path in the field and writes it back to the text field', () => {
    const h = harness();
    h.c.handle(init({ setup: { ...SETUP, data: null } }));
    assert.equal(h.c.model?.parsed.ok, false);
    const version = h.c.model!.textVersion;
    h.c.pickData();
    assert.deepEqual(h.posted, [{ type: 'pickData' }]);
    h.c.handle({ type: 'dataPicked', path: '/w/picked.txt' });
    assert.equal(h.c.model?.ui.text.data, '/w/picked.txt');
    assert.ok(h.c.model!.textVersion > version);
    assert.equal(h.c.model?.parsed.ok, true);
  });

  it('keeps request ids unique across reloads', () => {
    const h = harness();
    h.c.handle(init());
    h.c.estimate();
    h.c.estimate(); // ignored while one is in flight
    const first = (h.posted.at(-1) as { requestId: number }).requestId;
    assert.equal(h.posted.length, 1);
    assert.ok(first >= 1, 'the host uses 0 for its own sweeps');
    const reloaded = harness(h.state());
    reloaded.c.handle(init());
    reloaded.c.run();
    assert.ok((reloaded.posted.at(-1) as { requestId: number }).requestId > first);
  });
});
