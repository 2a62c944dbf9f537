import * as assert from 'node:assert/strict';
import { consistencyOf } from '../../../src/core/importance/consistency';
import { outlierNeurons } from '../../../src/core/importance/outliers';
import type { ImportanceReport } from '../../../src/core/importance/report';
import { exampleWithReport } from '../../helpers/exampleReport';
import { tempDir } from '../../helpers/paths';

/** A report whose only meaningful parts are the Spearman matrix (points: embedding output, then each block). */
function withSpearman(rho: number[][], source: 'text' | 'weights' = 'text'): ImportanceReport {
  return { embedding: { agreement: { spearman: rho } }, calibration: { source } } as unknown as ImportanceReport;
}

/** A Spearman matrix for L blocks where neighbours have the given ρ and everything else `far`. */
function chain(neighbours: number[], far: number, embedding = 0): number[][] {
  const n = neighbours.length + 2;
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => {
    if (i === j) return 1;
    if (i === 0 || j === 0) return embedding;
    return Math.abs(i - j) === 1 ? neighbours[Math.min(i, j) - 1] : far;
  }));
}

describe('consistency of the layers\' neuron rankings (the paper\'s one-ranking claim)', () => {
  it('on the example parent: the claim holds for neighbouring early blocks only, said from the data', async function () {
    this.timeout(120_000);
    const { dir, cleanup } = tempDir();
    try {
      const { report } = await exampleWithReport(dir, 16);
      const c = consistencyOf(report);
      const rho = report.embedding.agreement.spearman;
      assert.deepEqual(c.neighbourRho, [1, 2, 3, 4, 5].map((b) => rho[b][b + 1]));
      // Early neighbours agree (ρ ≈ 0.8), the last blocks rank differently, first and last are unrelated.
      const linked = c.runs.filter((r) => r.last > r.first);
      assert.ok(linked.length >= 1 && linked[0].first === 0 && linked[0].last >= 2, JSON.stringify(c.runs));
      assert.ok(c.runs[c.runs.length - 1].first === c.runs[c.runs.length - 1].last, 'the last block stands apart');
      assert.match(c.sentence, new RegExp(`^One ranking fits neighbouring blocks 0–${linked[0].last} \\(ρ 0\\.\\d\\d–0\\.\\d\\d between neighbours`));
      assert.match(c.sentence, /rank differently/);
      assert.match(c.sentence, /first vs last block ρ −?0\.\d\d/);
      assert.match(c.sentence, /embedding output is unrelated to the blocks/);
    } finally {
      cleanup();
    }
  });

  it('every block agreeing with the first and the last: the claim holds', () => {
    const c = consistencyOf(withSpearman(chain([0.9, 0.85, 0.92], 0.8, 0.75)));
    assert.deepEqual(c.runs, [{ first: 0, last: 3 }]);
    assert.equal(c.sentence, 'One ranking fits every block (ρ 0.85–0.92 between neighbours, 0.80 from the first to the last): the paper\'s claim holds here; the embedding output ranks like block 0 (ρ 0.75).');
  });

  it('neighbours agreeing but the ranking drifting along the depth', () => {
    const c = consistencyOf(withSpearman(chain([0.8, 0.8, 0.8], 0.1, 0.5)));
    assert.match(c.sentence, /^Neighbouring blocks rank alike \(ρ 0\.80\), but the ranking drifts along the depth \(first vs last block ρ 0\.10\); the embedding output ranks partly like block 0 \(ρ 0\.50\)\.$/);
  });

  it('no neighbours agreeing: one ranking does not fit', () => {
    const c = consistencyOf(withSpearman(chain([0.3, -0.2], 0)));
    assert.deepEqual(c.runs.map((r) => [r.first, r.last]), [[0, 0], [1, 1], [2, 2]]);
    assert.match(c.sentence, /^No two neighbouring blocks rank their neurons alike \(ρ < 0\.7 everywhere, at most 0\.30\): one ranking does not fit this model; first vs last block ρ 0\.00/);
  });

  it('two agreeing runs with a break between them, and data-free reports say so', () => {
    const c = consistencyOf(withSpearman(chain([0.8, 0.2, 0.9, 0.75], 0.1), 'weights'));
    assert.deepEqual(c.runs, [{ first: 0, last: 1 }, { first: 2, last: 4 }]);
    assert.match(c.sentence, /^By weight magnitudes \(no data\): Rankings agree within blocks 0–1 \(ρ 0\.80 between neighbours\) and within blocks 2–4 \(ρ 0\.75–0\.90 between neighbours, 0\.10 from block 2 to block 4\)/);
  });

  it('one block: nothing to compare', () => {
    assert.match(consistencyOf(withSpearman([[1, 0.2], [0.2, 1]])).sentence, /no other block/);
  });
});

describe('outlier neurons', () => {
  it('lists neurons far above their layer\'s median, most extreme first, with rank and share', () => {
    const flat = Array.from({ length: 10 }, () => 1);
    const perLayer = [flat.map((v, j) => (j === 3 ? 12 : v)), flat.map((v, j) => (j === 7 ? 5 : j === 3 ? 2 : v))];
    const scores = [1, 1, 1, 3, 1, 1, 1, 1.5, 1, 1];
    const report = { embedding: { perLayer, scores, ranking: [3, 7, 0, 1, 2, 4, 5, 6, 8, 9] } } as unknown as ImportanceReport;
    const out = outlierNeurons(report);
    assert.deepEqual(out.map((o) => [o.neuron, o.point, o.rank]), [[3, 0, 0], [7, 1, 1]]);
    assert.equal(out[0].ratioToMedian, 12);
    assert.ok(Math.abs(out[0].share - 3 / 12.5) < 1e-12);
  });
});
