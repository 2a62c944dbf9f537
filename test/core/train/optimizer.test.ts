import * as assert from 'node:assert/strict';
import { AdamW, clipScale, globalNorm } from '../../../src/core/train/adamw';
import { Rng } from '../../../src/core/random/rng';
import { learningRate } from '../../../src/core/train/schedule';

/** PyTorch's AdamW, written out in float64 as the reference. */
function referenceAdamW(p: number[], grads: number[][], lr: number[], o: { b1: number; b2: number; eps: number; wd: number }): number[] {
  const x = [...p];
  const m = x.map(() => 0);
  const v = x.map(() => 0);
  grads.forEach((g, k) => {
    const t = k + 1;
    for (let i = 0; i < x.length; i++) {
      x[i] *= 1 - lr[k] * o.wd;
      m[i] = o.b1 * m[i] + (1 - o.b1) * g[i];
      v[i] = o.b2 * v[i] + (1 - o.b2) * g[i] * g[i];
      const mhat = m[i] / (1 - o.b1 ** t);
      const vhat = v[i] / (1 - o.b2 ** t);
      x[i] -= (lr[k] * mhat) / (Math.sqrt(vhat) + o.eps);
    }
  });
  return x;
}

describe('optimizer: AdamW, schedule, clipping', () => {
  it('AdamW matches the reference update over 20 steps (decay on one tensor, not the other)', () => {
    const rng = new Rng(3);
    const init = [Array.from({ length: 7 }, () => rng.normal()), Array.from({ length: 5 }, () => rng.normal())];
    const grads = Array.from({ length: 20 }, () => init.map((t) => t.map(() => rng.normal() * 0.1)));
    const lrs = grads.map((_, k) => 1e-2 * (1 - k / 40));
    const opt = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };
    const params = [{ values: Float32Array.from(init[0]), decay: true }, { values: Float32Array.from(init[1]), decay: false }];
    const adam = new AdamW(params, opt);
    grads.forEach((g, k) => adam.step(g.map((x) => Float32Array.from(x)), lrs[k]));
    const o = { b1: 0.9, b2: 0.95, eps: 1e-8 };
    const want = [referenceAdamW(init[0], grads.map((g) => g[0]), lrs, { ...o, wd: 0.1 }), referenceAdamW(init[1], grads.map((g) => g[1]), lrs, { ...o, wd: 0 })];
    params.forEach((p, k) => p.values.forEach((x, i) => assert.ok(Math.abs(x - want[k][i]) < 1e-6, `param ${k}[${i}]: ${x} vs ${want[k][i]}`)));
    assert.equal(adam.stepCount, 20);
  });

  it('the first Adam step moves each weight by lr against its gradient sign', () => {
    const values = Float32Array.of(1, -2, 3);
    new AdamW([{ values, decay: false }]).step([Float32Array.of(0.5, -0.01, 2)], 0.1);
    assert.deepEqual(Array.from(values, (v) => Number(v.toFixed(4))), [0.9, -1.9, 2.9]);
  });

  it('the gradient scale is applied before the moments (clipping)', () => {
    const a = Float32Array.of(0, 0);
    const b = Float32Array.of(0, 0);
    const adamA = new AdamW([{ values: a, decay: false }]);
    const adamB = new AdamW([{ values: b, decay: false }]);
    for (let k = 0; k < 3; k++) {
      adamA.step([Float32Array.of(4, -2)], 0.01, 0.25);
      adamB.step([Float32Array.of(1, -0.5)], 0.01);
    }
    assert.deepEqual(a, b);
  });

  it('clips to the global norm like clip_grad_norm_', () => {
    const g = [Float32Array.of(3, 0), Float32Array.of(0, 4)];
    assert.equal(globalNorm(g), 5);
    assert.ok(Math.abs(clipScale(5, 1) - 1 / (5 + 1e-6)) < 1e-12);
    assert.equal(clipScale(0.5, 1), 1);
    assert.equal(clipScale(5, 0), 1, 'clip 0 disables clipping');
  });

  it('warms up linearly, then decays along a cosine to the floor', () => {
    const s = { lr: 1e-3, minLr: 1e-4, warmup: 10, steps: 111 };
    assert.ok(Math.abs(learningRate(s, 0) - 1e-4) < 1e-12);
    assert.ok(Math.abs(learningRate(s, 4) - 5e-4) < 1e-12);
    assert.equal(learningRate(s, 9), 1e-3);
    assert.equal(learningRate(s, 10), 1e-3);
    assert.ok(Math.abs(learningRate(s, 60) - 5.5e-4) < 1e-12, 'half way down the cosine');
    assert.ok(Math.abs(learningRate(s, 110) - 1e-4) < 1e-12);
    assert.equal(learningRate(s, 500), 1e-4);
    for (let k = 11; k <= 110; k++) assert.ok(learningRate(s, k) < learningRate(s, k - 1));
  });
});
