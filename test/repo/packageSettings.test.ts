import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONVERGE_DEFAULTS } from '../../src/core/converge/settings';
import { DEFAULT_OUTPUT_FORMAT, OUTPUT_FORMATS } from '../../src/core/subclone/subclone';
import { repoRoot } from '../helpers/paths';

interface Property {
  default?: unknown;
  enum?: unknown[];
}

describe('package.json settings', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, Property> } } };
  const props = pkg.contributes.configuration.properties;

  it("subclone.convergence.learningRates defaults to the engine's sweeps (the CLI's defaults)", () => {
    assert.deepEqual(props['subclone.convergence.learningRates'].default, { subclone: CONVERGE_DEFAULTS.lrs, random: CONVERGE_DEFAULTS.randomLrs });
  });

  it('subclone.convergence.steps defaults to 0 (about two minutes, from a timed step)', () => {
    assert.equal(props['subclone.convergence.steps'].default, 0);
  });

  it("subclone.outputFormat offers the engine's formats and defaults to its default (the CLI's --format)", () => {
    assert.deepEqual(props['subclone.outputFormat'].enum, [...OUTPUT_FORMATS]);
    assert.equal(props['subclone.outputFormat'].default, DEFAULT_OUTPUT_FORMAT);
  });
});
