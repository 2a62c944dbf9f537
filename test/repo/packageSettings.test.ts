import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONVERGE_DEFAULTS } from '../../src/core/converge/settings';
import { repoRoot } from '../helpers/paths';

interface Property {
  default?: unknown;
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
});
