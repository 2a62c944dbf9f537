import * as assert from 'node:assert/strict';
import type { ConvergencePoint, RunInit } from '../../src/protocol/convergenceProtocol';
import { alignRuns, logLossTicks, lossChartLabel, stepsToLossData } from '../../webview/convergence/curves';
import { BEST_LINE_WIDTH, LINE_DASHES, LINE_WIDTH, lrRanks, runStyles } from '../../webview/convergence/runStyles';

const COLOURS = { subclone: '#3794ff', random: '#d18616' };

function pt(step: number, valLoss: number, trainLoss: number | null = step === 0 ? null : valLoss + 0.1): ConvergencePoint {
  return { step, valLoss, trainLoss, seconds: step / 10 };
}

function run(init: RunInit, lr: number, points: ConvergencePoint[] = []) {
  return { init, lr, points };
}

describe('convergence panel: line styles', () => {
  const runs = [run('subclone', 7.5e-4), run('subclone', 1.5e-3), run('subclone', 3e-3), run('subclone', 6e-3), run('random', 3e-3), run('random', 6e-3), run('random', 1.2e-2), run('random', 2.4e-2)];

  it('colours by init and dashes by the rank of the learning rate within its init', () => {
    const styles = runStyles(runs, COLOURS);
    assert.deepEqual(styles.map((s) => s.stroke), [...Array(4).fill(COLOURS.subclone), ...Array(4).fill(COLOURS.random)]);
    assert.deepEqual(styles.map((s) => s.dashName), ['solid', 'dashed', 'dotted', 'dash-dot', 'solid', 'dashed', 'dotted', 'dash-dot']);
    assert.deepEqual(styles[0].dash, [], 'the lowest lr is solid');
    assert.deepEqual(styles.map((s) => s.label).slice(2, 5), ['subclone 3e-3', 'subclone 6e-3', 'random 3e-3']);
  });

  it('ranks within an init whatever the order of the runs', () => {
    assert.deepEqual(lrRanks([run('random', 1e-2), run('subclone', 5e-3), run('random', 1e-3), run('subclone', 1e-3)]), [1, 1, 0, 0]);
  });

  it('reuses the line styles from the start after six learning rates', () => {
    const many = [1, 2, 3, 4, 5, 6, 7].map((k) => run('subclone', k * 1e-3));
    const styles = runStyles(many, COLOURS);
    assert.equal(LINE_DASHES.length, 6);
    assert.equal(styles[6].dashName, styles[0].dashName);
    assert.notEqual(styles[5].dashName, styles[0].dashName);
  });

  it('draws the best run of each init thicker once there is a verdict', () => {
    const before = runStyles(runs, COLOURS);
    assert.ok(before.every((s) => s.width === LINE_WIDTH && !s.best));
    const after = runStyles(runs, COLOURS, { subclone: 3e-3, random: 0.003 });
    assert.deepEqual(after.map((s) => s.best), [false, false, true, false, true, false, false, false]);
    assert.equal(after[2].width, BEST_LINE_WIDTH);
    const noRandom = runStyles(runs, COLOURS, { subclone: 6e-3, random: null });
    assert.deepEqual(noRandom.filter((s) => s.best).map((s) => s.label), ['subclone 6e-3']);
  });
});

describe('convergence panel: chart data', () => {
  it('aligns runs evaluated at different steps on the union of their steps, with gaps elsewhere', () => {
    const a = run('subclone', 1e-3, [pt(0, 3), pt(10, 2.5), pt(20, 2.2)]);
    const b = run('random', 1e-3, [pt(0, 5), pt(15, 4), pt(20, 3.5), pt(25, 3.4)]);
    const [xs, ya, yb] = alignRuns([a, b], 'valLoss');
    assert.deepEqual(xs, [0, 10, 15, 20, 25]);
    assert.deepEqual(ya, [3, 2.5, null, 2.2, null]);
    assert.deepEqual(yb, [5, null, 4, 3.5, 3.4]);
  });

  it('leaves out step 0 of the training loss (there is none) and non-finite losses', () => {
    const a = run('subclone', 1e-3, [pt(0, 3), pt(5, 2.8, 2.9), pt(10, Number.NaN, Number.POSITIVE_INFINITY)]);
    const [xs, ys] = alignRuns([a], 'trainLoss');
    assert.deepEqual(xs, [5]);
    assert.deepEqual(ys, [2.9]);
    const [vx, vy] = alignRuns([a], 'valLoss');
    assert.deepEqual(vx, [0, 5]);
    assert.deepEqual(vy, [3, 2.8]);
  });

  it('keeps a series per run even before any point (a plan of pending runs)', () => {
    const data = alignRuns([run('subclone', 1e-3), run('random', 1e-3)], 'valLoss');
    assert.equal(data.length, 3);
    assert.deepEqual(data[0], []);
  });

  it('turns the steps-to-loss rows into ascending loss (uPlot needs sorted x)', () => {
    const rows = [
      { loss: 3, subclone: 0, random: 20, ratio: null },
      { loss: 2.5, subclone: 4, random: 40, ratio: 10 },
      { loss: 2, subclone: 10, random: 60, ratio: 6 },
    ];
    assert.deepEqual(stepsToLossData(rows), [
      [2, 2.5, 3],
      [10, 4, 0],
      [60, 40, 20],
    ]);
  });

  it('puts log ticks where a loss axis needs them: several inside one decade', () => {
    assert.deepEqual(logLossTicks(1.9, 8.7), [2, 2.5, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(logLossTicks(1.9, 8.7, 7), [2, 2.5, 3, 4, 5, 6, 8]);
    assert.deepEqual(logLossTicks(1.9, 8.7, 4), [2, 3, 5]);
    assert.deepEqual(logLossTicks(0.05, 200, 5), [0.1, 1, 10, 100]);
    assert.deepEqual(logLossTicks(2.1, 2.4), [2.1, 2.2, 2.3, 2.4], 'a range without two round log ticks gets even ones');
    assert.deepEqual(logLossTicks(2.05, 2.45), [2.1, 2.2, 2.3, 2.4]);
    assert.deepEqual(logLossTicks(0, 5), []);
  });

  it('says what the loss charts show for screen readers', () => {
    const runs = [run('subclone', 3e-3, [pt(0, 2.9), pt(60, 1.989)]), run('subclone', 6e-3, [pt(0, 2.9), pt(30, 2.2)]), run('random', 3e-3, [pt(0, 5.5), pt(60, 2.637)])];
    assert.equal(lossChartLabel(runs, 'valLoss'), 'Validation loss against step for 3 runs; lowest latest subclone run 1.989 at step 60 (lr 3e-3); lowest latest random init run 2.637 at step 60 (lr 3e-3).');
    assert.equal(lossChartLabel([run('subclone', 1e-3)], 'trainLoss'), 'Training loss against step for 1 run; no evaluations yet.');
  });
});
