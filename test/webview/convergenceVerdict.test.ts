import * as assert from 'node:assert/strict';
import { computeVerdict, type VerdictRun } from '../../src/core/converge/verdict';
import type { ConvergencePoint, RunInit, RunStatus } from '../../src/protocol/convergenceProtocol';
import { verdictPlaceholder, verdictView } from '../../webview/convergence/verdictText';

/** Evaluations every 10 steps of an exponential decay from `start` towards `floor`. */
function curve(start: number, floor: number, tau: number, steps = 100): ConvergencePoint[] {
  const out: ConvergencePoint[] = [];
  for (let s = 0; s <= steps; s += 10) out.push({ step: s, trainLoss: s ? floor + (start - floor) * Math.exp(-s / tau) + 0.05 : null, valLoss: floor + (start - floor) * Math.exp(-s / tau), seconds: s / 10 });
  return out;
}

type TestRun = VerdictRun & { status: RunStatus };

function run(init: RunInit, lr: number, points: ConvergencePoint[], status: RunStatus = 'finished'): TestRun {
  return { init, lr, status, steps: 100, points: status === 'finished' ? points : points.slice(0, 3) };
}

/** Subclone and random sweeps of three lrs each, the middle one best in each. */
function sweep(subFloor: number, over: Partial<Record<number, RunStatus>> = {}): TestRun[] {
  const runs = [
    run('subclone', 1e-3, curve(3.2, subFloor + 0.2, 20)),
    run('subclone', 2e-3, curve(3.2, subFloor, 15)),
    run('subclone', 4e-3, curve(3.2, subFloor + 0.3, 10)),
    run('random', 1e-3, curve(5.5, 2.9, 25)),
    run('random', 2e-3, curve(5.5, 2.5, 25)),
    run('random', 4e-3, curve(5.5, 2.7, 25)),
  ];
  return runs.map((r, i) => (over[i] ? run(r.init, r.lr, r.points as ConvergencePoint[], over[i]) : r));
}

describe('convergence panel: what the verdict cell says', () => {
  it('a reached target: "N× faster than the best-tuned random init", from the file’s number', () => {
    const runs = sweep(1.8);
    const v = computeVerdict(runs);
    assert.ok(v.reached && v.speedupVsBestRandom !== null && v.speedupVsBestRandom > 1);
    const view = verdictView(v, runs, false);
    assert.equal(view.tone, 'faster');
    assert.equal(view.headline, `${v.speedupVsBestRandom!.toFixed(1)}× faster than the best-tuned random init`);
    assert.equal(view.detail, `The best subclone run (lr 2e-3) reaches the target ${v.target!.toFixed(3)} at step ${Number(v.stepsToTarget!.toFixed(1))} (the best random-init run, lr 2e-3, gets there in 100 steps).`);
    assert.equal(view.target, `${v.target!.toFixed(3)}: the final validation loss of the best random-init run (lr 2e-3, 100 steps)`);
    assert.deepEqual(view.best.map((b) => b.init), ['subclone', 'random']);
    assert.match(view.best[0].text, /^lr 2e-3, final validation loss 1\.8\d\d$/);
    assert.equal(view.partial, null);
    assert.deepEqual(view.edges, [], 'both best lrs are inside their sweeps');
  });

  it('lists the speed-up at each learning rate both inits finished', () => {
    const runs = sweep(1.8);
    const view = verdictView(computeVerdict(runs), runs, false);
    assert.deepEqual(view.equalLr.map((r) => r.lr), ['1e-3', '2e-3', '4e-3']);
    assert.ok(view.equalLr.every((r) => r.reached && /×$/.test(r.speedup)));
  });

  it('a target the subclone never reaches: "Not reached in N steps", never extrapolated', () => {
    const runs = sweep(2.7);
    const v = computeVerdict(runs);
    assert.equal(v.reached, false);
    const view = verdictView(v, runs, false);
    assert.equal(view.headline, 'Not reached in 100 steps');
    assert.equal(view.tone, 'not-reached');
    assert.equal(view.detail, `The best subclone run (lr 2e-3) ends at ${v.finalValLoss.subclone!.toFixed(3)}, above the target ${v.target!.toFixed(3)}.`);
    assert.ok(view.equalLr.some((r) => r.speedup === 'not reached' && r.steps === 'not reached'));
  });

  it('a cancelled sweep: the verdict over the finished runs, and says over how many', () => {
    const runs = sweep(1.8, { 2: 'cancelled', 5: 'cancelled' });
    const v = computeVerdict(runs);
    const view = verdictView(v, runs, true);
    assert.equal(view.partial, 'Over 4 of 6 planned runs (2 cancelled): the sweep was cancelled.');
    assert.match(view.headline, /× faster than the best-tuned random init$/);
    assert.deepEqual(view.equalLr.map((r) => r.lr), ['1e-3', '2e-3']);
    // The best random run is now the highest lr that finished: at the edge of what finished.
    const diverged = sweep(1.8, { 0: 'diverged' });
    assert.equal(verdictView(computeVerdict(diverged), diverged, false).partial, 'Over 5 of 6 planned runs (1 diverged).');
  });

  it('no finished random-init run: no target', () => {
    const runs = sweep(1.8, { 3: 'failed', 4: 'failed', 5: 'cancelled' });
    const view = verdictView(computeVerdict(runs), runs, false);
    assert.equal(view.headline, 'No finished random-init run: no target');
    assert.equal(view.tone, 'no-target');
    assert.equal(view.target, null);
    assert.deepEqual(view.equalLr, []);
    assert.equal(view.fastest, null);
    assert.deepEqual(view.best.map((b) => b.init), ['subclone']);
    const noRandomSweep = sweep(1.8).slice(0, 3);
    assert.equal(verdictView(computeVerdict(noRandomSweep), noRandomSweep, false).headline, 'No finished random-init run: no target');
  });

  it('a subclone below the target from step 0 has no ratio to show', () => {
    const runs = [run('subclone', 1e-3, curve(2, 1.5, 10)), run('random', 1e-3, curve(5.5, 2.5, 30))];
    const v = computeVerdict(runs);
    assert.equal(v.speedupVsBestRandom, null);
    assert.equal(verdictView(v, runs, false).headline, 'Faster from step 0: below the best-tuned random init’s final loss before training');
    assert.equal(verdictView(v, runs, false).equalLr[0].speedup, 'from step 0');
  });

  it('names the fastest run when it is not the best one, and warns about best lrs at a sweep’s edge', () => {
    // The lowest lr ends lowest (best) but the highest lr gets to the target first.
    const runs = [
      run('subclone', 1e-3, curve(3, 1.6, 40)),
      run('subclone', 2e-3, curve(3, 1.9, 8)),
      run('random', 1e-3, curve(5.5, 2.5, 30)),
      run('random', 2e-3, curve(5.5, 2.8, 30)),
    ];
    const v = computeVerdict(runs);
    assert.equal(v.bestLr.subclone, 1e-3);
    assert.equal(v.fastest?.lr, 2e-3);
    const view = verdictView(v, runs, false);
    assert.match(view.fastest!, /^The subclone run that reaches the target first is lr 2e-3, at step \d+(\.\d)? \(\d+(\.\d)?×\); the headline stays with the run of the lowest final loss\.$/);
    assert.deepEqual(view.edges, [
      'The best learning rate of the subclone is the lowest of its sweep: the optimum may lie below it — widen the sweep (a better-tuned subclone could do better still).',
      'The best learning rate of random init is the lowest of its sweep: the optimum may lie below it — widen the sweep (a better-tuned random init could make the speed-up smaller).',
    ]);
    const same = [run('subclone', 1e-3, curve(3.2, 1.8, 10)), run('subclone', 2e-3, curve(3.2, 2, 20)), run('random', 1e-3, curve(5.5, 2.5, 25))];
    assert.equal(verdictView(computeVerdict(same), same, false).fastest, null, 'not repeated when the fastest run is the best one');
  });

  it('says why there is no verdict yet', () => {
    assert.equal(verdictPlaceholder(false), 'Run the sweep to get a verdict.');
    assert.equal(verdictPlaceholder(true), 'The verdict comes when the sweep ends (or is cancelled).');
  });
});
