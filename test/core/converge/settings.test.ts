import * as assert from 'node:assert/strict';
import { CONVERGE_DEFAULTS, formatLr, plannedRuns, resolveSettings, startOrder } from '../../../src/core/converge/settings';
import { isSubcloneError } from '../../../src/core/errors';

describe('convergence settings', () => {
  it('defaults: four lrs per init over an 8× range, the subclone sweep centred 4× lower than random init', () => {
    const geo = (xs: number[]) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
    for (const lrs of [CONVERGE_DEFAULTS.lrs, CONVERGE_DEFAULTS.randomLrs]) {
      assert.ok(lrs.length >= 3 && lrs.length <= 4);
      const range = Math.max(...lrs) / Math.min(...lrs);
      assert.ok(range >= 4 && range <= 8, `range ${range}`);
    }
    assert.ok(Math.abs(geo(CONVERGE_DEFAULTS.randomLrs) / geo(CONVERGE_DEFAULTS.lrs) - 4) < 1e-9);
  });

  it('resolves auto values and checks every setting', () => {
    const s = resolveSettings({ steps: 600 }, 2);
    assert.equal(s.evalEvery, 25);
    assert.equal(s.warmup, 60);
    assert.equal(s.parallel, 2);
    assert.equal(resolveSettings({ steps: 20 }, 1).evalEvery, 1);
    assert.equal(resolveSettings({ steps: 2000 }, 1).warmup, 100);
    const bad = (s: Parameters<typeof resolveSettings>[0]) => assert.throws(() => resolveSettings(s, 1), (e) => isSubcloneError(e, 'BadArgument'));
    bad({ steps: 0 });
    bad({ lrs: [1e-3, -1] });
    bad({ lrs: [1e-3, 1e-3] });
    bad({ lrs: [], randomLrs: [] });
    bad({ warmup: 600 });
    bad({ evalEvery: 0 });
  });

  it('plans runs in the file order and starts them from each sweep’s centre, alternating inits', () => {
    const runs = plannedRuns({ lrs: [6e-3, 7.5e-4, 3e-3, 1.5e-3], randomLrs: [2.4e-2, 3e-3, 1.2e-2, 6e-3] });
    assert.deepEqual(runs.map((r) => `${r.init}@${formatLr(r.lr)}`), [
      'subclone@7.5e-4', 'subclone@1.5e-3', 'subclone@3e-3', 'subclone@6e-3', 'random@3e-3', 'random@6e-3', 'random@1.2e-2', 'random@2.4e-2',
    ]);
    const order = startOrder(runs).map((i) => `${runs[i].init}@${formatLr(runs[i].lr)}`);
    assert.deepEqual(order.slice(0, 4), ['subclone@3e-3', 'random@1.2e-2', 'subclone@1.5e-3', 'random@6e-3']);
    assert.equal(new Set(order).size, 8);
    assert.deepEqual(startOrder(plannedRuns({ lrs: [], randomLrs: [1e-2] })), [0]);
  });

  it('writes learning rates compactly', () => {
    assert.deepEqual([3e-3, 1.2e-2, 7.5e-4, 0.1, 1].map(formatLr), ['3e-3', '1.2e-2', '7.5e-4', '1e-1', '1e+0']);
  });
});

describe('convergence progress lines', () => {
  it('format and parse back', async () => {
    const { formatConvergeEvent, parseConvergeEvent } = await import('../../../src/core/converge/progressMessage');
    const point = { kind: 'point' as const, run: 2, point: { step: 25, valLoss: 2.31234, trainLoss: 2.40111, seconds: 12.3 } };
    assert.equal(formatConvergeEvent(point), 'converge run=2 step=25 val=2.31234 train=2.40111 seconds=12.30');
    assert.deepEqual(parseConvergeEvent(formatConvergeEvent(point)), point);
    const start = { kind: 'point' as const, run: 0, point: { step: 0, valLoss: 2.9, trainLoss: null, seconds: 0 } };
    assert.deepEqual(parseConvergeEvent(formatConvergeEvent(start)), start);
    const status = { kind: 'status' as const, run: 1, init: 'random' as const, lr: 1.2e-2, status: 'finished' };
    assert.equal(formatConvergeEvent(status), 'converge run=1 init=random lr=1.2e-2 status=finished');
    assert.deepEqual(parseConvergeEvent(formatConvergeEvent(status)), status);
    assert.equal(parseConvergeEvent('step=1/2 loss=3'), undefined);
  });
});
