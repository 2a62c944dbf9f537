import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { hfFolderFromFixture } from '../../helpers/hfFromFixture';
import { repoFixtures } from '../../helpers/fixtures';
import { importanceOf, maskedMeanAbs, maskedTokenMean, maxAbsDiff, oneMinusCos, relativeUpdate, repoCases, sharedCases, type OracleCase } from './oracle';

/**
 * The importance engine against numpy-style reductions of the PyTorch intermediates saved with each fixture's
 * batch (one row padded: attention_mask 0 there). Per-layer mean |h|, MLP-hidden scores and block magnitudes
 * must match within the tolerance (1e-4 for the float32 exports).
 */
function oracleSuite(title: string, cases: () => OracleCase[]) {
  describe(title, function () {
    const list = cases();
    if (list.length === 0) {
      it('has fixtures to check', function () {
        this.skip(); // the shared fixtures folder is absent in this checkout
      });
      return;
    }
    for (const c of list) {
      it(`${c.id}: per-layer mean |h|, FFN scores and block magnitudes equal the reference`, async () => {
        const { report } = await importanceOf(c);
        const L = c.blocks.length;
        assert.equal(report.embedding.perLayer.length, L + 1);
        assert.ok(c.mask.includes(0) || !c.id.startsWith('shared/'), `${c.id}: the batch should hold padding`);
        const errors: string[] = [];
        const check = (what: string, got: ArrayLike<number>, want: ArrayLike<number>) => {
          const err = maxAbsDiff(got, want);
          if (!(err <= c.tolerance)) errors.push(`${what}: max |diff| ${err.toExponential(2)}`);
          return err;
        };
        let worst = 0;
        if (c.embed) worst = Math.max(worst, check('embedding output', report.embedding.perLayer[0], maskedMeanAbs(c.embed, c.mask)));
        for (let i = 0; i < L; i++) {
          worst = Math.max(worst, check(`stream after block ${i}`, report.embedding.perLayer[i + 1], maskedMeanAbs(c.blocks[i], c.mask)));
          worst = Math.max(worst, check(`MLP hidden of block ${i}`, report.ffn[i], maskedMeanAbs(c.mlpHidden[i], c.mask)));
          const input = i === 0 ? c.embed : c.blocks[i - 1];
          if (!input) continue;
          worst = Math.max(worst, check(`relative magnitude of block ${i}`, [report.blocks.relativeMagnitude[i]], [maskedTokenMean(input, c.blocks[i], c.mask, relativeUpdate)]));
          worst = Math.max(worst, check(`1 − cos of block ${i}`, [report.blocks.oneMinusCos[i]], [maskedTokenMean(input, c.blocks[i], c.mask, oneMinusCos)]));
        }
        assert.deepEqual(errors, [], `${c.id} (tolerance ${c.tolerance})`);
        process.stdout.write(`      ${c.id}: max |diff| ${worst.toExponential(2)}\n`);
      });
    }
  });
}

oracleSuite('importance oracle: shared exports (numpy over block_i / mlp_hidden_i with the mask)', sharedCases);
oracleSuite('importance oracle: repo fixtures (embed, block:i, mlp_hidden:i with the mask)', repoCases);

/**
 * The same fixtures saved as Hugging Face folders (the mirrors' parameter names): the graph Subclone builds from
 * config.json and model.safetensors must give the same importance as the PyTorch intermediates (KV-cache exports
 * apart: their batches feed past keys and values, which a checkpoint's class takes no input for).
 */
const hfFolders: string[] = [];
oracleSuite('importance oracle: repo fixtures as Hugging Face folders', () =>
  repoCases().filter((c) => !c.id.endsWith('-past')).map((c) => {
    const dir = hfFolderFromFixture(repoFixtures((f) => f.id === c.id)[0]);
    hfFolders.push(dir);
    return { ...c, id: `hf/${c.id}`, modelFile: dir };
  }),
);
after(() => hfFolders.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
