import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { trainingTargetFor } from '../../../src/core/train/targetFor';
import { fixtureIds, fixturesDir } from '../../helpers/paths';
import { loadFixture } from './fixtureTarget';

/** The target training reads from recognize() agrees with the fixtures' ground truth (parameters and ties). */
describe('training target from the recognizer', function () {
  this.timeout(120000);
  const ids = fixtureIds().filter((id) => {
    const truth = JSON.parse(fs.readFileSync(path.join(fixturesDir, 'models', id, 'truth.json'), 'utf8')) as { transformer?: boolean };
    return truth.transformer !== false;
  });
  for (const id of ids) {
    it(id, async () => {
      const f = loadFixture(path.join(fixturesDir, 'models', id));
      try {
        const t = await trainingTargetFor(f.model);
        assert.equal(t.kind, f.target.kind);
        assert.equal(t.output, f.target.output);
        const got = new Map(t.params.map((p) => [p.name, p.copyOf ?? null]));
        const want = new Map(f.target.params.map((p) => [p.name, p.copyOf ?? null]));
        assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
        for (const [name, copyOf] of want) assert.equal(got.get(name), copyOf, `${name}: copy of ${copyOf}`);
        for (const p of t.params) {
          if (p.role.startsWith('norm.') || p.role.endsWith('bias') || p.role.startsWith('embedding.') || p.copyOf) assert.equal(p.decay, false, p.name);
        }
        assert.equal(t.inputs.ids !== undefined || t.inputs.pixels !== undefined, true);
      } finally {
        f.model.close();
      }
    });
  }
});
