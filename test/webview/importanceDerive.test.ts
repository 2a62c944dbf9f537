import * as assert from 'node:assert/strict';
import {
  binColumns,
  binFraction,
  binMax,
  binOf,
  cumulativeShare,
  displayOrder,
  inverseOrder,
  logDomain,
  maskOf,
  neighbourValues,
  rankOf,
  rankOrder,
  relativeToMean,
  shareAt,
  topOverlap,
} from '../../webview/importance/derive';
import type { HeatmapSpec } from '../../webview/importance/canvasHeatmap';
import { SEQUENTIAL, linearNormalizer, lutColor } from '../../webview/shared/colorScale';
import { binColors } from '../../webview/importance/heatmapImage';

describe('importance panel: derived presentation math', () => {
  it('ranks highest first, ties by lower index, and the fast display order agrees', () => {
    const v = [0.2, 0.5, 0.2, 0.9, 0];
    assert.deepEqual([...rankOrder(v)], [3, 1, 0, 2, 4]);
    assert.deepEqual([...displayOrder(v)], [3, 1, 0, 2, 4]);
    assert.deepEqual([...inverseOrder(rankOrder(v))], [2, 1, 3, 0, 4]);
    const big = Array.from({ length: 14336 }, (_, i) => ((i * 7919) % 1000) / 997);
    assert.deepEqual([...displayOrder(big)], [...rankOrder(big)]);
    assert.deepEqual([...displayOrder([1, -1, 2])], [2, 0, 1], 'negative values fall back to the exact sort');
    assert.deepEqual([...displayOrder([1, 1.00001, 0.5])], [0, 1, 2], 'values within 0.01% keep index order (display only)');
    assert.equal(rankOf(v, 2), 3, 'exact rank: ties after the lower index');
    assert.equal(rankOf(v, 3), 0);
  });

  it('gives the cumulative share of the top k and its value at d', () => {
    const curve = cumulativeShare([1, 3, 0, 4, 2]);
    assert.deepEqual([...curve].map((x) => +x.toFixed(6)), [0, 0.4, 0.7, 0.9, 1, 1]);
    assert.equal(shareAt(curve, 2), 0.7);
    assert.equal(shareAt(curve, 0), 0);
    assert.equal(shareAt(curve, 99), 1, 'd beyond n is clamped');
    assert.deepEqual([...cumulativeShare([0, 0])], [0, 0, 0], 'all-zero scores give a flat curve, not NaN');
  });

  it('measures the overlap of a point’s own top-d with the kept set', () => {
    const row = [0.9, 0.1, 0.8, 0.7, 0.2, 0.05];
    assert.equal(topOverlap(row, [0, 2, 3]), 1);
    assert.equal(topOverlap(row, [0, 1, 4]), 1 / 3);
    assert.equal(topOverlap(row, [1, 4, 5]), 0);
    assert.equal(topOverlap(row, []), 0);
  });

  it('bins many columns into pixels, keeping every column in exactly one bin', () => {
    const bins = binColumns(14336, 1000);
    assert.equal(bins.count, 1000);
    assert.equal(bins.starts[0], 0);
    assert.equal(bins.starts[1000], 14336);
    for (let c = 0; c < 14336; c += 37) {
      const b = binOf(bins, 14336, c);
      assert.ok(bins.starts[b] <= c && c < bins.starts[b + 1], `column ${c} in bin ${b}`);
    }
    assert.equal(binColumns(192, 1000).count, 192, 'no binning when the columns fit');
    assert.equal(binOf(binColumns(192, 1000), 192, 57), 57);
  });

  it('takes the max of each bin (so one dominant neuron stays visible) and the kept fraction', () => {
    const bins = binColumns(6, 3);
    assert.deepEqual([...binMax([1, 5, 2, 2, 0, 9], null, bins)], [5, 2, 9]);
    const order = [5, 4, 3, 2, 1, 0];
    assert.deepEqual([...binMax([1, 5, 2, 2, 0, 9], order, bins)], [9, 2, 5]);
    const byValue = rankOrder([1, 5, 2, 2, 0, 9]);
    assert.deepEqual([...binMax([1, 5, 2, 2, 0, 9], byValue, bins, undefined, true)], [...binMax([1, 5, 2, 2, 0, 9], byValue, bins)], 'a sorted order reads each bin’s first column');
    assert.deepEqual([...binFraction(maskOf(6, [0, 1, 2]), null, bins)], [1, 0.5, 0]);
    assert.deepEqual([...binFraction(maskOf(6, [0, 1, 2]), order, bins)], [0, 0.5, 1]);
  });

  it('scales rows by their mean and picks a log domain of at most a few decades', () => {
    assert.deepEqual([...relativeToMean([1, 3])], [0.5, 1.5]);
    assert.deepEqual([...relativeToMean([0, 0])], [0, 0]);
    assert.deepEqual(logDomain([[0.5, 2], [0, 8]]), [0.5, 8]);
    assert.deepEqual(logDomain([[1e-9, 100]], 3), [0.1, 100]);
    assert.deepEqual(logDomain([[0, 0]]), [1, 10]);
    assert.deepEqual(logDomain([[4, 4]]), [0.4, 4]);
  });

  it('reads the neighbour values of a matrix', () => {
    assert.deepEqual(neighbourValues([[1, 0.1, 0], [0.1, 1, 0.7], [0, 0.7, 1]]), [0.1, 0.7]);
  });
});

describe('importance panel: heatmap pixels', () => {
  const spec = (kept: Uint8Array | null, dropped = false): HeatmapSpec => ({
    rows: 1, cols: 4, values: [[1, 2, 3, 4]], order: () => null, lut: SEQUENTIAL, norm: linearNormalizer(1, 4), kept: () => kept,
    droppedRows: [dropped], rowLabel: String, rowLabelWidth: 0, rowHeight: 1, describe: () => ({ title: '', lines: [] }), label: '',
  });
  const theme = { backgroundRgb: [255, 255, 255] as [number, number, number], dim: 0.72 };
  const rgbOf = (word: number) => [word & 255, (word >> 8) & 255, (word >> 16) & 255];

  it('colours each bin from the map and dims what is not kept toward the background', () => {
    const plain = binColors(spec(null), binColumns(4, 4), theme).colors;
    assert.deepEqual(rgbOf(plain[0]), lutColor(SEQUENTIAL, 0));
    assert.deepEqual(rgbOf(plain[3]), lutColor(SEQUENTIAL, 1));
    const kept = binColors(spec(maskOf(4, [3])), binColumns(4, 4), theme).colors;
    assert.deepEqual(rgbOf(kept[3]), lutColor(SEQUENTIAL, 1), 'a kept cell keeps its colour');
    const dimmed = rgbOf(kept[0]);
    assert.ok(dimmed.every((c, k) => c > lutColor(SEQUENTIAL, 0)[k]), `an unkept cell is pulled toward white, got ${dimmed}`);
    const dropped = rgbOf(binColors(spec(maskOf(4, [0, 1, 2, 3]), true), binColumns(4, 4), theme).colors[0]);
    assert.ok(dropped[0] > 200, 'a dropped block is dimmed even where units are kept');
  });
});
