import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { computeImportance } from '../../../src/core/importance/computeImportance';
import { saveImportanceReport } from '../../../src/core/importance/reportFile';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { recognize } from '../../../src/core/recognize/recognize';
import { checkShape, countShapeParameters } from '../../../src/core/subclone/shape';
import { selectionFor } from '../../../src/core/subclone/shapeSelection';
import { subclone } from '../../../src/core/subclone/subclone';
import type { BlockSearchView } from '../../../src/protocol/importanceProtocol';
import { exampleWithReport, type ExampleReport } from '../../helpers/exampleReport';
import { fixturePath, repoRoot, tempDir } from '../../helpers/paths';
import { openCheckpoint } from '../../../src/core/checkpoint/openCheckpoint';
import { hfShapeProblems } from '../../../src/core/hf/hfCheckpoint';
import { parentConfigOf } from '../../../src/core/hf/parentConfig';

const sum = (xs: readonly number[]) => xs.reduce((s, v) => s + v, 0);

describe('what a shape keeps, as the importance panel highlights it', function () {
  this.timeout(300_000);
  let dir: string;
  let cleanup: () => void;
  let ex: ExampleReport;
  before(async () => {
    ({ dir, cleanup } = tempDir());
    ex = await exampleWithReport(dir);
  });
  after(() => cleanup());

  it('highlights exactly what apply keeps for the same shape, report and blocks', async () => {
    const shape = { layers: 3, dModel: 96, heads: 3, kvHeads: 3, ffn: 384 };
    for (const policy of ['magnitude', 'first', 'middle'] as const) {
      const selection = selectionFor(ex.map, ex.report, shape, policy, null);
      const outDir = path.join(dir, `child-${policy}`);
      const written = await subclone(ex.model, { shape, data: null, report: ex.reportFile, blocks: { kind: policy }, outDir });
      const kept = written.provenance.kept;
      assert.deepEqual(selection.blocks, kept.blocks, policy);
      assert.deepEqual(selection.kept!.embedding, kept.embedding);
      for (const b of kept.blocks) {
        assert.deepEqual(selection.kept!.ffn[b], kept.ffn[String(b)], `FFN of block ${b}`);
        assert.deepEqual(selection.kept!.heads[b], kept.heads[String(b)], `heads of block ${b}`);
      }
      assert.equal(selection.parameters, written.provenance.parameters);
    }
  });

  it('shares are the kept units\' part of the scores; every block gets units, kept or not', () => {
    const s = selectionFor(ex.map, ex.report, { layers: 2, dModel: 64, heads: 2, kvHeads: 2, ffn: 256 }, 'first', null);
    assert.equal(s.kept!.embedding.length, 64);
    assert.deepEqual(s.kept!.embedding, [...ex.report.embedding.ranking.slice(0, 64)].sort((a, b) => a - b));
    assert.equal(s.kept!.ffn.length, 6);
    for (let b = 0; b < 6; b++) {
      assert.equal(s.kept!.ffn[b].length, 256);
      assert.equal(s.kept!.heads[b].length, 2);
      const f = ex.report.ffn[b];
      assert.ok(Math.abs(s.shares!.ffn[b] - sum(s.kept!.ffn[b].map((i) => f[i])) / sum(f)) < 1e-12);
      // The top 256 of 768 units hold more than a third of the importance.
      assert.ok(s.shares!.ffn[b] > 256 / 768, `block ${b}: ${s.shares!.ffn[b]}`);
    }
    const e = ex.report.embedding.scores;
    assert.ok(Math.abs(s.shares!.embedding - sum(s.kept!.embedding.map((j) => e[j])) / sum(e)) < 1e-12);
    assert.equal(s.parameters, countShapeParameters(ex.map, s.shape));
    assert.equal(s.parentParameters, ex.map.parameterCounts.total);
  });

  it('names the blocks each policy keeps; loss-guided only from a search for this very shape', () => {
    const shape = { layers: 3, dModel: 96, heads: 3, kvHeads: 3, ffn: 384 };
    const unscored = selectionFor(ex.map, ex.report, shape, 'loss', null);
    assert.equal(unscored.blocks, null);
    assert.equal(unscored.scoreCount, 10); // every 3-of-6 subset keeping block 0
    assert.deepEqual(unscored.policies.first, [0, 1, 2]);
    assert.deepEqual(unscored.policies.middle, [0, 1, 5]);
    assert.equal(unscored.policies.magnitude!.length, 3);
    const search: BlockSearchView = { shape, chosen: [0, 3, 5], method: 'exhaustive', metric: 'm', candidates: [{ blocks: [0, 3, 5], loss: 1 }], source: { kind: 'search' } };
    assert.deepEqual(selectionFor(ex.map, ex.report, shape, 'loss', search).blocks, [0, 3, 5]);
    assert.equal(selectionFor(ex.map, ex.report, { ...shape, ffn: 320 }, 'loss', search).blocks, null, 'a search for another shape does not count');
  });

  it('says which shapes apply writes as ONNX only, with apply\'s own reason: GPT-2 with scale_attn_by_inverse_layer_idx whose kept blocks move', async () => {
    const { dir: out, cleanup: done } = tempDir();
    try {
      const file = path.join(repoRoot, 'test', 'fixtures', 'hf', 'gpt2-fp16-untied');
      const model = openCheckpoint(file);
      const map = await recognize(model);
      const report = await computeImportance(model, map, { data: { kind: 'weights' }, provider: 'cpu' });
      model.close();
      const reportFile = path.join(out, 'r.importance.json');
      saveImportanceReport(report, reportFile, true);
      const hf = hfShapeProblems(map, parentConfigOf(file));
      assert.equal(hf.model, null, 'the checkpoint has an HF layout');
      const shape = { layers: 2, dModel: map.dims.dModel, heads: map.dims.heads, kvHeads: map.dims.kvHeads, ffn: 32 };
      for (const policy of ['first', 'middle'] as const) {
        const selection = selectionFor(map, report, shape, policy, null, hf);
        const notices: string[] = [];
        const written = await subclone(file, { shape, data: null, report: reportFile, blocks: { kind: policy }, outDir: path.join(out, policy), onNotice: (m) => notices.push(m) });
        const hfOut = written.provenance.output?.hf;
        if (policy === 'first') {
          assert.equal(selection.onnxOnly, null);
          assert.deepEqual(hfOut, { modelType: 'gpt2' });
        } else {
          assert.match(selection.onnxOnly ?? '', /scale_attn_by_inverse_layer_idx .* kept blocks \[0, 2\] move/);
          assert.deepEqual(hfOut, { notWritten: selection.onnxOnly });
          assert.ok(notices.some((n) => n.includes(selection.onnxOnly!)), notices.join('\n'));
        }
      }
      assert.equal(selectionFor(map, report, shape, 'middle', null).onnxOnly, null, 'not said without the parent\'s config');
    } finally {
      done();
    }
  });

  it('a model without config.json beside it: why no shape gets an HF checkpoint is said once, not shape by shape', () => {
    const { dir: out, cleanup: done } = tempDir();
    try {
      const onnx = path.join(out, 'model.onnx');
      fs.copyFileSync(ex.model, onnx);
      const bare = hfShapeProblems(ex.map, parentConfigOf(onnx));
      assert.match(bare.model ?? '', /no config\.json/);
      assert.equal(bare.shape({ layers: 3, dModel: 96, heads: 3, kvHeads: 3, ffn: 384 }, [0, 3, 5]), null);
      assert.equal(hfShapeProblems(ex.map, parentConfigOf(ex.model)).model, null, 'beside its config.json it has one');
    } finally {
      done();
    }
  });

  it('an impossible shape gets the engine\'s own message and no highlights', () => {
    const shape = { layers: 3, dModel: 100, heads: 3, kvHeads: 3, ffn: 384 };
    const s = selectionFor(ex.map, ex.report, shape, 'first', null);
    assert.equal(s.ok, false);
    assert.equal(s.message, checkShape(ex.map, shape).problems.join('; '));
    assert.equal(s.kept, null);
  });

  it('grouped-query attention: whole KV groups, the same head slots in each, as parent head indices', async () => {
    const file = fixturePath('llama-op17'); // 6 heads in 2 KV groups
    const model = OnnxModel.load(file);
    const map = await recognize(model);
    const report = await computeImportance(model, map, { data: { kind: 'random' }, samples: 4, provider: 'cpu' });
    model.close();
    const s = selectionFor(map, report, { layers: 3, dModel: 48, heads: 2, kvHeads: 1, ffn: 40 }, 'first', null);
    for (let b = 0; b < 3; b++) {
      const [group] = s.kept!.kvGroups[b];
      assert.equal(s.kept!.kvGroups[b].length, 1);
      assert.equal(s.kept!.heads[b].length, 2);
      for (const h of s.kept!.heads[b]) assert.equal(Math.floor(h / 3), group, `head ${h} of block ${b} is outside KV group ${group}`);
    }
    // The same heads apply writes (its subclone.json holds slots within the kept groups).
    const { dir: out, cleanup: done } = tempDir();
    try {
      const reportFile = path.join(out, 'r.importance.json');
      saveImportanceReport(report, reportFile, true);
      fs.copyFileSync(file, path.join(out, 'model.onnx'));
      const written = await subclone(path.join(out, 'model.onnx'), { shape: s.shape, data: null, report: reportFile, blocks: { kind: 'first' }, outDir: path.join(out, 'child') });
      for (const b of [0, 1, 2]) {
        const groups = written.provenance.kept.kvGroups[String(b)];
        const slots = written.provenance.kept.heads[String(b)];
        assert.deepEqual(s.kept!.heads[b], groups.flatMap((g) => slots.map((j) => g * 3 + j)).sort((x, y) => x - y));
      }
    } finally {
      done();
    }
  });
});
