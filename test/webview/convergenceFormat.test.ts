import * as assert from 'node:assert/strict';
import type { ConvergenceFile } from '../../src/protocol/convergenceProtocol';
import type { RunRequest } from '../../webview/convergence/controller';
import { besideFile, dirName, executionMarker, formatDuration, formatLoss, formatSpeedup, formatStep, shortPath } from '../../webview/convergence/format';
import { planPreview, progressText, summaryText } from '../../webview/convergence/runText';
import { applyPoint, applyStatus, sweepFromFile, sweepFromPlan } from '../../webview/convergence/sweep';

describe('convergence panel: formats', () => {
  it('formats durations for people', () => {
    assert.equal(formatDuration(0.42), '0.4 s');
    assert.equal(formatDuration(4.26), '4.3 s');
    assert.equal(formatDuration(9.96), '10 s');
    assert.equal(formatDuration(42.4), '42 s');
    assert.equal(formatDuration(59.6), '1 min', 'rounded before splitting: never "60 s"');
    assert.equal(formatDuration(130), '2 min 10 s');
    assert.equal(formatDuration(3599.7), '1 h');
    assert.equal(formatDuration(3725), '1 h 2 min');
    assert.equal(formatDuration(7200), '2 h');
    assert.equal(formatDuration(Number.NaN), '—');
    assert.equal(formatDuration(-1), '—');
  });

  it('formats losses, speed-ups and interpolated steps', () => {
    assert.equal(formatLoss(2.637170284986496), '2.637');
    assert.equal(formatLoss(null), '—');
    assert.equal(formatLoss(Number.POSITIVE_INFINITY), '—');
    assert.equal(formatSpeedup(2.2999), '2.30×', 'two decimals below 10×, as the engine writes them');
    assert.equal(formatSpeedup(2.254), '2.25×');
    assert.equal(formatSpeedup(24.84), '24.8×');
    assert.equal(formatSpeedup(134.7), '135×');
    assert.equal(formatStep(2.4150895), '2.4');
    assert.equal(formatStep(60), '60');
    assert.equal(formatStep(0), '0');
    assert.equal(formatStep(1234.6), '1,235');
  });

  it('finds a run’s CSV beside convergence.json, with the path’s own separator', () => {
    assert.equal(besideFile('/tmp/out/convergence.json', 'subclone-lr3e-3.csv'), '/tmp/out/subclone-lr3e-3.csv');
    assert.equal(besideFile('C:\\work\\out\\convergence.json', 'random-lr1.2e-2.csv'), 'C:\\work\\out\\random-lr1.2e-2.csv');
    assert.equal(besideFile('/convergence.json', 'a.csv'), '/a.csv');
    assert.equal(besideFile('convergence.json', 'a.csv'), 'a.csv');
    assert.equal(dirName('/a/b/c.json'), '/a/b');
    assert.equal(shortPath('/tmp/conv-child/model.onnx'), 'conv-child/model.onnx');
    assert.equal(shortPath('C:\\models\\child\\model.onnx'), 'child/model.onnx');
  });

  it('writes the notebook execution markers', () => {
    assert.equal(executionMarker(null), '[ ]');
    assert.equal(executionMarker('running'), '[*]');
    assert.equal(executionMarker(3), '[3]');
  });
});

describe('convergence panel: the Run cell in words', () => {
  const planned = [
    { init: 'subclone' as const, lr: 1e-3, steps: 60 },
    { init: 'subclone' as const, lr: 2e-3, steps: 60 },
    { init: 'random' as const, lr: 1e-3, steps: 60 },
  ];

  it('says what happens before the plan, while training and while cancelling', () => {
    const starting: RunRequest = { requestId: 4, phase: 'starting', autoSteps: true };
    assert.equal(progressText(starting, null), 'Starting: timing a few steps to choose the steps…');
    assert.equal(progressText({ ...starting, autoSteps: false }, null), 'Starting…');
    const sweep = sweepFromPlan(4, planned);
    applyStatus(sweep, 0, 'finished');
    applyPoint(sweep, 1, { step: 30, trainLoss: 2, valLoss: 2.1, seconds: 3 }, 0.5);
    assert.equal(progressText({ ...starting, phase: 'running' }, sweep), 'Training: 1 of 3 runs ended · 50%');
    assert.equal(progressText({ ...starting, requestId: 5, phase: 'running' }, sweep), 'Starting: timing a few steps to choose the steps…', 'another request’s sweep is not this one’s progress');
    assert.equal(progressText({ ...starting, phase: 'cancelling' }, sweep), 'Cancelling: every run stops before its next step…');
  });

  it('summarises a finished, cancelled or saved sweep', () => {
    const content = {
      status: 'finished',
      createdAt: '2026-12-03T09:00:58.174Z',
      finishedAt: '2026-12-03T09:02:50.807Z',
      seconds: 112.6,
      runs: [
        { init: 'subclone', lr: 1e-3, status: 'finished', steps: 60, stepsDone: 60, points: [], csv: 'a.csv', seconds: 20, tokensPerS: 1 },
        { init: 'random', lr: 1e-3, status: 'cancelled', steps: 60, stepsDone: 12, points: [], csv: 'b.csv', seconds: 5, tokensPerS: 1 },
      ],
    } as unknown as ConvergenceFile;
    assert.equal(summaryText(sweepFromFile('/o/convergence.json', content, 'finished')), 'Finished: 1 of 2 runs finished in 1 min 53 s.');
    assert.equal(summaryText(sweepFromFile('/o/convergence.json', { ...content, status: 'cancelled' }, 'cancelled')), 'Cancelled: 1 of 2 runs finished in 1 min 53 s.');
    assert.equal(summaryText(sweepFromFile('/o/convergence.json', { ...content, runs: [content.runs[0]] }, 'finished')), 'Finished: 1 run in 1 min 53 s.');
    assert.equal(summaryText(sweepFromFile('/o/convergence.json', content, 'saved')), 'Saved results from 2026-12-03 09:02 UTC: 1 of 2 runs finished in 1 min 53 s.');
    assert.match(summaryText(sweepFromFile('/o/convergence.json', { ...content, status: 'running', finishedAt: null }, 'saved'))!, /^Saved results from 2026-12-03 09:00 UTC: .*: the sweep did not finish/);
  });

  it('previews the runs ▶ will train', () => {
    assert.equal(planPreview({ data: 'x', steps: null, batch: 16, seq: 128, evalEvery: null, lrs: [1e-3, 2e-3], randomLrs: [1e-3] }), 'No runs yet: ▶ trains 3 runs, the subclone at 2 learning rates and random init at 1 learning rate, and up to 2 more per init where its best rate is the edge of its sweep.');
    assert.equal(planPreview(null), 'No runs yet.');
  });
});

describe('convergence panel: a live sweep from the host’s events', () => {
  const planned = [
    { init: 'subclone' as const, lr: 1e-3, steps: 60 },
    { init: 'random' as const, lr: 1e-3, steps: 60 },
  ];

  it('starts every run pending and fills in points in step order', () => {
    const sweep = sweepFromPlan(1, planned);
    assert.deepEqual(sweep.runs.map((r) => r.status), ['pending', 'pending']);
    applyPoint(sweep, 0, { step: 0, trainLoss: null, valLoss: 3, seconds: 0 }, 0);
    assert.equal(sweep.runs[0].status, 'running', 'a point means the run is training');
    applyPoint(sweep, 0, { step: 20, trainLoss: 2.5, valLoss: 2.6, seconds: 4 }, 0.2);
    applyPoint(sweep, 0, { step: 10, trainLoss: 2.8, valLoss: 2.8, seconds: 2 }, 0.15);
    applyPoint(sweep, 0, { step: 20, trainLoss: 2.5, valLoss: 2.55, seconds: 4 }, 0.2);
    assert.deepEqual(sweep.runs[0].points.map((p) => [p.step, p.valLoss]), [
      [0, 3],
      [10, 2.8],
      [20, 2.55],
    ]);
    assert.equal(sweep.runs[0].stepsDone, 20);
    assert.equal(sweep.fraction, 0.2);
    assert.equal(sweep.runs[1].stepsDone, 0);
  });
});
