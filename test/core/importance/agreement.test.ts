import * as assert from 'node:assert/strict';
import { averageRanks, globalScores, pairwise, rankingOf, spearman, topKOverlap } from '../../../src/core/importance/agreement';
import { kvGroupScores } from '../../../src/core/importance/buildReport';

// Reference values from scipy.stats (spearmanr, rankdata).
describe('importance: rankings and layer agreement', () => {
  it('average ranks share ties like scipy.stats.rankdata', () => {
    assert.deepEqual(Array.from(averageRanks([3, 1, 4, 1, 5, 9, 2, 6])), [4, 1.5, 5, 1.5, 6, 8, 3, 7]);
  });

  it('Spearman ρ equals scipy.stats.spearmanr, ties included', () => {
    assert.ok(Math.abs(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) - 0.8207826816681233) < 1e-12);
    assert.ok(Math.abs(spearman([3, 1, 4, 1, 5, 9, 2, 6], [2, 7, 1, 8, 2, 8, 1, 8]) - 0.19885368120992467) < 1e-12);
    assert.equal(spearman([1, 2, 3], [30, 20, 10]), -1);
    assert.equal(spearman([1, 1, 1], [1, 2, 3]), 0, 'a constant side has no ranking');
  });

  it('rankings put the highest score first, ties by index', () => {
    assert.deepEqual(rankingOf([0.1, 0.5, 0.5, 2, 0]), [3, 1, 2, 0, 4]);
  });

  it('top-k overlap counts shared indices among the k best', () => {
    assert.equal(topKOverlap([4, 3, 2, 1], [4, 3, 2, 1], 2), 1);
    assert.equal(topKOverlap([4, 3, 2, 1], [1, 2, 3, 4], 2), 0);
    assert.equal(topKOverlap([4, 3, 2, 1], [3, 1, 4, 2], 2), 0.5);
  });

  it('pairwise matrices are symmetric with a unit diagonal', () => {
    const m = pairwise([[1, 2, 3], [3, 2, 1], [1, 3, 2]], spearman);
    assert.deepEqual(m.map((r, i) => r[i]), [1, 1, 1]);
    assert.equal(m[0][1], -1);
    assert.equal(m[1][2], m[2][1]);
  });

  it('the global score normalises each layer before summing (one loud layer does not dominate)', () => {
    const s = globalScores([[1, 3], [300, 100]]);
    assert.deepEqual(s, [0.25 + 0.75, 0.75 + 0.25]);
  });

  it('KV groups sum their query heads h = g·(H/KV) + j', () => {
    assert.deepEqual(kvGroupScores([1, 2, 3, 4, 5, 6], 2), [6, 15]);
    assert.deepEqual(kvGroupScores([1, 2, 3], 3), [1, 2, 3]);
    assert.throws(() => kvGroupScores([1, 2, 3], 2), /3 query heads do not split into 2 KV groups/);
  });
});
