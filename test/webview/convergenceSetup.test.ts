import * as assert from 'node:assert/strict';
import type { EstimateView, SetupValues } from '../../src/protocol/convergenceProtocol';
import { estimateSentence, evalEveryPlaceholder, stepsPlaceholder } from '../../webview/convergence/estimateText';
import { parseLrList, parseSetup, sameSetup, setupText, type SetupText } from '../../webview/convergence/setupFields';

const VALUES: SetupValues = { data: '/data/kjv.txt', steps: null, batch: 16, seq: 128, evalEvery: null, lrs: [7.5e-4, 1.5e-3, 3e-3, 6e-3], randomLrs: [3e-3, 6e-3, 1.2e-2, 2.4e-2] };

function text(over: Partial<SetupText> = {}): SetupText {
  return { ...setupText(VALUES), ...over };
}

function errorsOf(t: SetupText): string[] {
  const p = parseSetup(t);
  assert.equal(p.ok, false, 'expected the setup to be rejected');
  return p.ok ? [] : p.errors.map((e) => e.message);
}

describe('convergence panel: Setup fields', () => {
  it('writes the values as the fields show them and reads them back unchanged', () => {
    const t = setupText(VALUES);
    assert.equal(t.lrs, '7.5e-4, 1.5e-3, 3e-3, 6e-3');
    assert.equal(t.randomLrs, '3e-3, 6e-3, 1.2e-2, 2.4e-2');
    assert.equal(t.steps, '', 'auto steps is an empty field');
    assert.equal(t.evalEvery, '');
    const back = parseSetup(t);
    assert.ok(back.ok);
    assert.deepEqual(back.values, VALUES);
  });

  it('reads numbers and the auto fields', () => {
    const p = parseSetup(text({ steps: ' 600 ', evalEvery: '25', batch: '8', seq: '64', data: '  /x/data.txt ' }));
    assert.ok(p.ok);
    assert.equal(p.values.steps, 600);
    assert.equal(p.values.evalEvery, 25);
    assert.equal(p.values.batch, 8);
    assert.equal(p.values.seq, 64);
    assert.equal(p.values.data, '/x/data.txt');
  });

  it('parses learning-rate lists written with commas, spaces or semicolons, in any number format', () => {
    assert.deepEqual(parseLrList('7.5e-4, 1.5e-3 3E-3; 0.006 .012'), { ok: true, lrs: [7.5e-4, 1.5e-3, 3e-3, 0.006, 0.012] });
    assert.deepEqual(parseLrList('  '), { ok: true, lrs: [] });
  });

  it('rejects what is not a positive number, and a rate listed twice', () => {
    assert.deepEqual(parseLrList('3e-3, abc'), { ok: false, message: '“abc” is not a number (write them like 7.5e-4, 1.5e-3, 3e-3).' });
    assert.equal(parseLrList('0x10').ok, false, 'no hex');
    assert.equal(parseLrList('Infinity').ok, false);
    assert.equal(parseLrList('3e-3e').ok, false, 'no trailing junk');
    assert.deepEqual(parseLrList('1e-3, 0'), { ok: false, message: 'learning rates must be positive, got 0.' });
    assert.deepEqual(parseLrList('-1e-3'), { ok: false, message: 'learning rates must be positive, got -1e-3.' });
    assert.deepEqual(parseLrList('3e-3, 0.003'), { ok: false, message: '3e-3 is listed twice.' });
  });

  it('names the field in every message, all problems at once', () => {
    assert.deepEqual(errorsOf(text({ batch: '0', lrs: '7.5e-4, abc' })), ['Batch: “0” is not a whole number of at least 1.', 'Subclone learning rates: “abc” is not a number (write them like 7.5e-4, 1.5e-3, 3e-3).']);
    assert.deepEqual(errorsOf(text({ steps: '12.5' })), ['Steps: “12.5” is not a whole number of at least 1 (leave it empty for auto).']);
    assert.deepEqual(errorsOf(text({ evalEvery: 'often' })), ['Evaluate every: “often” is not a whole number of at least 1 (leave it empty for auto).']);
    assert.deepEqual(errorsOf(text({ seq: '' })), ['Sequence length: required (a whole number of at least 1).']);
    assert.deepEqual(errorsOf(text({ data: ' ' })), ['Data: choose a text file or an image folder (Browse…).']);
    assert.deepEqual(errorsOf(text({ randomLrs: '1e-2 1e-2' })), ['Random-init learning rates: 1e-2 is listed twice.']);
  });

  it('needs at least one learning rate, but either sweep may be empty', () => {
    assert.deepEqual(errorsOf(text({ lrs: '', randomLrs: '' })), ['Learning rates: give at least one, for the subclone or for random init.']);
    const p = parseSetup(text({ randomLrs: '' }));
    assert.ok(p.ok);
    assert.deepEqual(p.values.randomLrs, []);
  });

  it('tells whether the fields still ask for the sweep an estimate was made for', () => {
    assert.ok(sameSetup(VALUES, { ...VALUES, lrs: [6e-3, 3e-3, 1.5e-3, 7.5e-4] }), 'the order of the learning rates does not matter');
    assert.ok(!sameSetup(VALUES, { ...VALUES, steps: 600 }));
    assert.ok(!sameSetup(VALUES, { ...VALUES, randomLrs: [3e-3] }));
    assert.ok(!sameSetup(VALUES, { ...VALUES, data: '/other.txt' }));
  });
});

describe('convergence panel: the estimate in words', () => {
  const estimate: EstimateView = {
    setup: { ...VALUES, data: '/data/kjv.txt', steps: 600, evalEvery: 25 },
    runs: 8,
    parallel: 2,
    stepSeconds: 0.0812,
    runSeconds: 48.7,
    sweepSeconds: 130,
    defaultSteps: 600,
    tokensPerStep: 2048,
  };

  it('says how long, how many runs and steps, and the auto steps', () => {
    assert.equal(estimateSentence(estimate, true), 'About 2 min 10 s: 8 runs, 2 side by side, 600 steps each (0.081 s/step, 2,048 tokens/step). Auto steps: 600.');
    assert.equal(
      estimateSentence({ ...estimate, parallel: 1, runs: 1, setup: { ...estimate.setup, steps: 1200 }, sweepSeconds: 3725 }, false),
      'About 1 h 2 min: 1 run, one at a time, 1,200 steps each (0.081 s/step, 2,048 tokens/step). Auto steps would be 600.',
    );
  });

  it('counts images for image data (one item per batch row)', () => {
    assert.match(estimateSentence({ ...estimate, tokensPerStep: 16 }, true), /16 images\/step/);
  });

  it('gives the auto fields their placeholders', () => {
    assert.equal(stepsPlaceholder(null), 'auto');
    assert.equal(stepsPlaceholder(1200), 'auto (≈1,200)');
    assert.equal(evalEveryPlaceholder(null), 'auto');
    assert.equal(evalEveryPlaceholder(600), 'auto (≈25)');
    assert.equal(evalEveryPlaceholder(10), 'auto (≈1)');
  });
});
