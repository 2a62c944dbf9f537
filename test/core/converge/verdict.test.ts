import * as assert from 'node:assert/strict';
import { computeVerdict, stepsToLossCurve, stepsToReach, type ConvergencePoint, type VerdictRun } from '../../../src/core/converge/verdict';

/** Points from (step, valLoss) pairs. */
const pts = (...xs: [number, number][]): ConvergencePoint[] => xs.map(([step, valLoss]) => ({ step, trainLoss: step ? valLoss : null, valLoss, seconds: step / 10 }));
const run = (init: 'subclone' | 'random', lr: number, points: ConvergencePoint[], status = 'finished'): VerdictRun => ({ init, lr, status, steps: 600, points });

describe('convergence verdict', () => {
  describe('stepsToReach', () => {
    const p = pts([0, 3], [100, 2], [200, 1.5], [300, 1.2]);
    it('interpolates linearly between the evaluations around the crossing', () => {
      assert.equal(stepsToReach(p, 1.75), 150);
      assert.equal(stepsToReach(p, 2.5), 50);
      assert.ok(Math.abs(stepsToReach(p, 1.3)! - (200 + (0.2 / 0.3) * 100)) < 1e-9);
    });
    it('takes an evaluation exactly at the loss as the step', () => {
      assert.equal(stepsToReach(p, 2), 100);
      assert.equal(stepsToReach(p, 1.2), 300);
    });
    it('returns null below the lowest loss (never extrapolates)', () => {
      assert.equal(stepsToReach(p, 1.19), null);
    });
    it('is the first crossing when the curve goes back up', () => {
      assert.equal(stepsToReach(pts([0, 3], [100, 1.9], [200, 2.4], [300, 1.5]), 2), 100 * (1 / 1.1));
    });
    it('is the first point when it is already there', () => {
      assert.equal(stepsToReach(p, 3.5), 0);
    });
  });

  it('reached: the best subclone run against the best random run, speed-up = steps ÷ interpolated step', () => {
    const runs = [
      run('subclone', 1.5e-3, pts([0, 2.9], [200, 2.0], [600, 1.7])),
      run('subclone', 3e-3, pts([0, 2.9], [100, 2.0], [200, 1.8], [300, 1.7], [600, 1.5])), // best subclone
      run('random', 6e-3, pts([0, 5.5], [300, 2.4], [600, 1.9])),
      run('random', 1.2e-2, pts([0, 5.5], [300, 2.1], [600, 1.75])), // best random: target 1.75
    ];
    const v = computeVerdict(runs);
    assert.equal(v.target, 1.75);
    assert.deepEqual(v.bestLr, { subclone: 3e-3, random: 1.2e-2 });
    assert.equal(v.reached, true);
    assert.ok(Math.abs(v.stepsToTarget! - 250) < 1e-9); // between (200, 1.8) and (300, 1.7)
    assert.ok(Math.abs(v.speedupVsBestRandom! - 600 / 250) < 1e-9);
    assert.match(v.sentence, /reaches the best random init's final validation loss \(1\.750 at lr 1\.2e-2 after 600 steps\) at step 250: 2\.40× fewer steps/);
    assert.deepEqual(v.edges, { subclone: 'highest', random: 'highest' });
    assert.match(v.sentence, /widen the sweep/);
    assert.deepEqual(v.over, { finished: 4, planned: 4 });
    // lr 1.5e-3 ends higher but reaches 1.75 first: 200 + (0.25 / 0.3) · 400 = 533 > 250, so the best run is also the fastest here.
    assert.equal(v.fastest?.lr, 3e-3);
  });

  it('fastest: the subclone run that reaches the target first, whatever its final loss', () => {
    const v = computeVerdict([
      run('subclone', 1e-3, pts([0, 2.9], [100, 1.7], [600, 1.6])), // reaches 1.75 at 95.8, ends higher
      run('subclone', 3e-3, pts([0, 2.9], [200, 1.8], [300, 1.7], [600, 1.5])),
      run('random', 1e-2, pts([0, 5.5], [600, 1.75])),
    ]);
    assert.equal(v.bestLr.subclone, 3e-3);
    assert.equal(v.fastest!.lr, 1e-3);
    assert.ok(Math.abs(v.fastest!.stepsToTarget - (100 * 1.15) / 1.2) < 1e-9);
    assert.ok(v.fastest!.speedup! > v.speedupVsBestRandom!);
  });

  it('not reached: no speed-up, "not reached in N steps", nothing extrapolated', () => {
    const v = computeVerdict([
      run('subclone', 1e-3, pts([0, 2.9], [300, 2.0], [600, 1.8])),
      run('random', 1e-2, pts([0, 5.5], [300, 2.0], [600, 1.7])),
    ]);
    assert.equal(v.target, 1.7);
    assert.equal(v.reached, false);
    assert.equal(v.stepsToTarget, null);
    assert.equal(v.speedupVsBestRandom, null);
    assert.match(v.sentence, /not reached in 600 steps/);
  });

  it('ties in final loss go to the lower learning rate, for both inits', () => {
    const v = computeVerdict([
      run('subclone', 4e-3, pts([0, 3], [600, 1.6])),
      run('subclone', 2e-3, pts([0, 3], [600, 1.6])),
      run('random', 2e-2, pts([0, 5], [600, 1.8])),
      run('random', 1e-2, pts([0, 5], [600, 1.8])),
    ]);
    assert.deepEqual(v.bestLr, { subclone: 2e-3, random: 1e-2 });
  });

  it('counts only finished runs: diverged, cancelled and failed runs are left out, and the sentence says how many', () => {
    const v = computeVerdict([
      run('subclone', 3e-3, pts([0, 2.9], [300, 1.6], [600, 1.4])),
      run('random', 2.4e-2, pts([0, 5.5], [100, 1.0]), 'diverged'),
      run('random', 1.2e-2, pts([0, 5.5], [300, 2.0], [600, 1.7])),
      run('random', 6e-3, pts([0, 5.5], [300, 1.0]), 'cancelled'),
    ]);
    assert.equal(v.bestLr.random, 1.2e-2);
    assert.equal(v.target, 1.7);
    assert.deepEqual(v.over, { finished: 2, planned: 4 });
    assert.match(v.sentence, /\(over 2 of 4 runs\)/);
    assert.equal(v.edges.random, null, 'the best lr is not the highest planned one (a higher one diverged)');
  });

  it('at equal lr: the same speed-up per learning rate both inits finished', () => {
    const v = computeVerdict([
      run('subclone', 3e-3, pts([0, 2.9], [100, 2.0], [600, 1.5])),
      run('subclone', 6e-3, pts([0, 2.9], [100, 2.2], [600, 1.9])),
      run('random', 3e-3, pts([0, 5.5], [600, 2.1])),
      run('random', 6e-3, pts([0, 5.5], [600, 1.8])),
      run('random', 1.2e-2, pts([0, 5.5], [600, 1.7])),
    ]);
    assert.equal(v.speedupAtEqualLr.length, 2);
    const [a, b] = v.speedupAtEqualLr;
    assert.equal(a.lr, 3e-3);
    assert.equal(a.target, 2.1);
    assert.ok(Math.abs(a.stepsToTarget! - (100 * 0.8) / 0.9) < 1e-9); // 2.9 → 2.0 over 100 steps crosses 2.1 at 88.9
    assert.ok(Math.abs(a.speedup! - 600 / a.stepsToTarget!) < 1e-9);
    assert.equal(b.lr, 6e-3);
    assert.equal(b.reached, false);
    assert.equal(b.speedup, null);
  });

  it('a subclone that starts below the target: reached at step 0, no ratio', () => {
    const v = computeVerdict([run('subclone', 1e-3, pts([0, 2.0], [10, 1.9])), run('random', 1e-2, pts([0, 5.5], [10, 3.0]))]);
    assert.equal(v.reached, true);
    assert.equal(v.stepsToTarget, 0);
    assert.equal(v.speedupVsBestRandom, null);
    assert.match(v.sentence, /starts below/);
  });

  it('without a finished random run there is no target', () => {
    const v = computeVerdict([run('subclone', 1e-3, pts([0, 3], [10, 2])), run('random', 1e-2, pts([0, 5.5]), 'cancelled')]);
    assert.equal(v.target, null);
    assert.equal(v.speedupVsBestRandom, null);
    assert.match(v.sentence, /No random-init run finished/);
    assert.equal(computeVerdict([]).target, null);
  });

  it('steps-to-loss: evenly spaced losses over the range both runs reach, with the ratio', () => {
    const sub = pts([0, 3], [100, 2], [200, 1.5]);
    const rnd = pts([0, 5.5], [100, 3], [200, 2], [400, 1.8]);
    const curve = stepsToLossCurve(sub, rnd, 5);
    // From min(start) = 3 down to max(min) = 1.8.
    assert.deepEqual(curve.map((r) => Number(r.loss.toFixed(6))), [3, 2.7, 2.4, 2.1, 1.8]);
    assert.equal(curve[0].subclone, 0);
    assert.equal(curve[0].random, 100);
    assert.equal(curve[0].ratio, null, 'the subclone is there at step 0');
    const last = curve[4];
    assert.ok(Math.abs(last.subclone - 140) < 1e-9);
    assert.equal(last.random, 400);
    assert.ok(Math.abs(last.ratio! - 400 / 140) < 1e-9);
    assert.deepEqual(stepsToLossCurve(pts([0, 1.5], [10, 1.4]), pts([0, 5], [10, 2])), [], 'no overlap: no curve');
  });
});
