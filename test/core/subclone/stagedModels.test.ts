import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { openCheckpoint } from '../../../src/core/checkpoint/openCheckpoint';
import { isExternal } from '../../../src/core/onnx/externalData';
import type { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { recognize } from '../../../src/core/recognize/recognize';
import { StagedModels } from '../../../src/core/subclone/stagedModels';
import { randomInit } from '../../../src/core/train/randomInit';
import { trainingTargetFromMap } from '../../../src/core/train/target';
import { fixturePath } from '../../helpers/paths';

const leftovers = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('subclone-staged-'));

function sameWeights(a: OnnxModel, b: OnnxModel): void {
  const bs = new Map(b.graph.initializer.map((t) => [t.name, t]));
  assert.deepEqual(a.graph.initializer.map((t) => t.name).sort(), [...bs.keys()].sort());
  for (const t of a.graph.initializer) assert.deepEqual(Buffer.from(b.tensorBytes(bs.get(t.name)!)), Buffer.from(a.tensorBytes(t)), t.name);
}

/**
 * apply's verification stages the subclone and its random init in a temporary folder, read back by range: the same
 * values as the models built in memory (the random init written one tensor at a time), and nothing left behind.
 */
describe('models staged on disk for verification', () => {
  for (const id of ['gpt2-op17', 'llama-op17', 'gpt2-op17-fp16w']) {
    it(`${id}: the staged model and its random init hold the values built in memory (tied copies included)`, async () => {
      const parent = openCheckpoint(fixturePath(id));
      const before = leftovers();
      const staged = new StagedModels();
      try {
        const target = trainingTargetFromMap(await recognize(parent));
        const model = staged.stage(parent, 'model.onnx');
        assert.ok(model.graph.initializer.some(isExternal), 'weights read by range from the staged file');
        sameWeights(parent, model);
        const inMemory = randomInit(parent, target, 7);
        const onDisk = staged.randomInit(model, target, 7);
        assert.ok(onDisk.graph.initializer.some(isExternal), 'the random init is read from its file too');
        sameWeights(inMemory, onDisk);
        assert.equal(leftovers().length, before.length + 1, 'one temporary folder while staged');
      } finally {
        staged.close();
        parent.close();
      }
      assert.deepEqual(leftovers(), before, 'removed on close');
    });
  }

  it('a model that was not staged gets the in-memory random init', async () => {
    const parent = openCheckpoint(fixturePath('gpt2-op17'));
    const staged = new StagedModels();
    try {
      const target = trainingTargetFromMap(await recognize(parent));
      sameWeights(randomInit(parent, target, 3), staged.randomInit(parent, target, 3));
    } finally {
      staged.close();
      parent.close();
    }
  });
});
