import * as assert from 'node:assert/strict';
import { BUDGET_HINT, parseBudget } from '../../webview/importance/budgetText';
import { DIVERGING, SEQUENTIAL, formatRatioTick, linearNormalizer, logNormalizer, logTicks, lutColor, parseColor, ratioTicks } from '../../webview/shared/colorScale';
import { baseName, describeCalibration, formatDate, formatIndexList, formatPercent, formatRho, formatScore, pointName } from '../../webview/importance/format';

describe('importance panel: log colour scale', () => {
  it('maps a log domain to 0…1 and clamps outside it', () => {
    const t = logNormalizer(0.1, 10);
    assert.equal(t(0.1), 0);
    assert.ok(Math.abs(t(1) - 0.5) < 1e-12, 'one decade of two is the middle');
    assert.equal(t(10), 1);
    assert.equal(t(0), 0, 'zero and below lo give the bottom colour');
    assert.equal(lutColor(SEQUENTIAL, t(100)).join(), lutColor(SEQUENTIAL, 1).join(), 'above hi is clamped');
    assert.equal(linearNormalizer(-1, 1)(0), 0.5);
  });

  it('samples viridis and a diverging map centred on white', () => {
    assert.deepEqual(lutColor(SEQUENTIAL, 0), [68, 1, 84]);
    assert.deepEqual(lutColor(SEQUENTIAL, 1), [253, 231, 37]);
    const mid = lutColor(DIVERGING, 0.5);
    assert.ok(mid.every((c) => c > 230), `ρ = 0 is near white, got ${mid}`);
    const [r, , b] = lutColor(DIVERGING, 1);
    assert.ok(r > b, 'positive ρ is red');
  });

  it('parses the colour syntaxes getComputedStyle and d3 produce', () => {
    assert.deepEqual(parseColor('#1e1e1e'), [30, 30, 30]);
    assert.deepEqual(parseColor('#fff'), [255, 255, 255]);
    assert.deepEqual(parseColor('#ffffff80'), [255, 255, 255]);
    assert.deepEqual(parseColor('rgb(12, 34, 56)'), [12, 34, 56]);
    assert.deepEqual(parseColor('rgba(204, 204, 204, 0.7)'), [204, 204, 204]);
    assert.equal(parseColor('transparent'), null);
  });

  it('puts legend ticks on powers of ten (and 2×, 5× in a short range)', () => {
    assert.deepEqual(logTicks(0.05, 200), [0.1, 1, 10, 100]);
    assert.deepEqual(logTicks(0.3, 6.4), [0.5, 1, 2, 5]);
    const norm = logNormalizer(0.2, 64);
    assert.deepEqual(ratioTicks(0.2, 64, norm).map((t) => t.label), ['0.2×', '1×', '10×', '64×'], 'the ends are labelled when no tick is near them');
    assert.equal(formatRatioTick(0.5), '0.5×');
    assert.equal(formatRatioTick(2), '2×');
  });
});

describe('importance panel: budget text', () => {
  const ok = (text: string) => {
    const r = parseBudget(text);
    assert.ok(r.ok, `${text}: ${!r.ok && r.message}`);
    return r.budget;
  };
  it('reads counts with K/M/B suffixes, separators and percentages', () => {
    assert.deepEqual(ok('25%'), { percent: 25 });
    assert.deepEqual(ok(' 12.5 % '), { percent: 12.5 });
    assert.deepEqual(ok('700K'), { parameters: 700000 });
    assert.deepEqual(ok('700k'), { parameters: 700000 });
    assert.deepEqual(ok('1.2M'), { parameters: 1200000 });
    assert.deepEqual(ok('700000'), { parameters: 700000 });
    assert.deepEqual(ok('700,000'), { parameters: 700000 });
    assert.deepEqual(ok('3.5B'), { parameters: 3500000000 });
  });
  it('says what is wrong with bad input', () => {
    const bad = (text: string, parent: number | null = null) => {
      const r = parseBudget(text, parent);
      assert.ok(!r.ok, text);
      return r.message;
    };
    assert.equal(bad(''), BUDGET_HINT);
    assert.match(bad('lots'), /“lots” is not a budget\. Enter a parameter count/);
    assert.match(bad('1.2X'), /not a budget/);
    assert.match(bad('0%'), /above 0% and below 100%/);
    assert.match(bad('150%'), /below 100%/);
    assert.match(bad('0'), /at least one parameter/);
    assert.match(bad('3M', 2743296), /not below the parent's 2,743,296/);
  });
});

describe('importance panel: formatting', () => {
  it('formats scores, correlations, shares and dates the same on every machine', () => {
    assert.equal(formatScore(0.0446242), '0.0446');
    assert.equal(formatScore(12.345), '12.3');
    assert.equal(formatScore(0.00012), '1.2e\u22124');
    assert.equal(formatRho(-0.0512), '\u22120.05');
    assert.equal(formatRho(0.7863), '0.79');
    assert.equal(formatPercent(0.5633), '56.3%');
    assert.equal(formatDate('2026-12-02T19:13:06.023Z'), '2026-12-02 19:13 UTC');
    assert.equal(formatDate('yesterday'), 'yesterday');
  });
  it('names points, lists and paths', () => {
    assert.equal(pointName(0), 'embedding output');
    assert.equal(pointName(3), 'after block 2');
    assert.equal(formatIndexList([5, 0, 1, 2, 3, 7, 8]), '0–3, 5, 7, 8');
    assert.equal(baseName('C:\\data\\kjv.txt'), 'kjv.txt');
    assert.equal(baseName('/work/kjv/kjv.txt'), 'kjv.txt');
  });
  it('describes the calibration source', () => {
    const base = { path: '/x/kjv.txt', samples: 64, tokens: 8192, sequenceLength: 128, fallback: false, tokenizer: '/x/tokenizer.json', seed: 0 };
    assert.equal(describeCalibration({ ...base, source: 'text' }), 'text kjv.txt · 64 sequences × 128 (8,192 tokens) · tokenizer tokenizer.json');
    assert.equal(describeCalibration({ ...base, source: 'images', path: '/x/imgs', sequenceLength: null, tokenizer: null, samples: 256, tokens: 50432 }), 'images imgs · 256 images · 50,432 tokens counted');
    assert.equal(describeCalibration({ ...base, source: 'weights', path: null, samples: 0, tokens: 0, fallback: true }), 'data-free: weight magnitudes, no calibration run');
  });
});
