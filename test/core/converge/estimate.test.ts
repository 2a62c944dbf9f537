import * as assert from 'node:assert/strict';
import { defaultSteps, sweepTime, type StepTiming } from '../../../src/core/converge/estimate';

describe('convergence time estimate', () => {
  const t: StepTiming = { stepSeconds: 0.1, evalSeconds: 0.5, prepareSeconds: 2, parallel: 2, itemsPerStep: 2048, text: true };

  it('adds graph building, steps and evaluations per run, in rounds of parallel runs', () => {
    const s = { steps: 600, evalEvery: 25, batch: 16, seq: 128 };
    const { runSeconds, sweepSeconds } = sweepTime(t, s, 8);
    assert.ok(Math.abs(runSeconds - (2 + 60 + 25 * 0.5)) < 1e-9); // step 0 + 24 evaluations
    assert.ok(Math.abs(sweepSeconds - 4 * runSeconds) < 1e-9);
    assert.ok(Math.abs(sweepTime(t, s, 7).sweepSeconds - 4 * runSeconds) < 1e-9, 'a last round of one run costs a whole round');
    assert.ok(Math.abs(sweepTime(t, { ...s, batch: 8 }, 8).runSeconds - (2 + 30 + 25 * 0.25)) < 1e-9, 'step time scales with tokens per step');
    assert.equal(sweepTime(t, { ...s, steps: 610 }, 1).runSeconds, 2 + 61 + 26 * 0.5, 'the last step is evaluated too');
  });

  it('default steps: the most (a multiple of 10) whose sweep fits the budget', () => {
    const steps = defaultSteps(t, { batch: 16, seq: 128 }, 8, 120);
    const fits = (n: number) => sweepTime(t, { steps: n, evalEvery: Math.max(1, Math.round(n / 24)), batch: 16, seq: 128 }, 8).sweepSeconds <= 120;
    assert.equal(steps % 10, 0);
    assert.ok(fits(steps) && !fits(steps + 10), `${steps}`);
    assert.equal(defaultSteps({ ...t, prepareSeconds: 1000 }), 20, 'at least 20 steps, even when nothing fits');
  });
});
