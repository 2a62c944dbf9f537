import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isSubcloneError } from '../../../src/core/errors';
import { importanceForFile } from '../../../src/core/importance/importanceForFile';
import { importanceReportPath, readImportanceReport } from '../../../src/core/importance/reportFile';
import { agreementSummary, oneLineSummary, summaryLines } from '../../../src/core/importance/summary';
import { exampleDir, exampleModel, fixturePath, fixturesDir, tempDir } from '../../helpers/paths';

describe('importance: the report file', () => {
  let tmp: { dir: string; cleanup: () => void };
  let model: string;
  beforeEach(() => {
    tmp = tempDir();
    model = path.join(tmp.dir, 'parent.onnx');
    fs.copyFileSync(exampleModel, model);
    fs.copyFileSync(path.join(exampleDir, 'tokenizer.json'), path.join(tmp.dir, 'tokenizer.json'));
  });
  afterEach(() => tmp.cleanup());

  it('is saved beside the model as <name>.importance.json with the documented keys, and read back', async () => {
    const { report, reportFile } = await importanceForFile({ model, data: { kind: 'path', path: path.join(exampleDir, 'kjv.txt') }, samples: 8, provider: 'cpu' });
    assert.equal(reportFile, path.join(tmp.dir, 'parent.importance.json'));
    assert.equal(importanceReportPath(model), reportFile);
    const saved = readImportanceReport(reportFile);
    assert.deepEqual(Object.keys(saved).sort(), ['blocks', 'calibration', 'embedding', 'ffn', 'heads', 'kvGroups', 'model', 'run', 'version']);
    assert.deepEqual(Object.keys(saved.embedding).sort(), ['agreement', 'perLayer', 'ranking', 'scores']);
    assert.equal(saved.version, 1);
    assert.deepEqual(saved.embedding.ranking, report.embedding.ranking);
    assert.deepEqual([...saved.embedding.ranking].sort((a, b) => a - b), Array.from({ length: 192 }, (_, i) => i), 'a permutation of the neurons');
    assert.deepEqual(saved.calibration, { source: 'text', path: path.join(exampleDir, 'kjv.txt'), tokenizer: path.join(tmp.dir, 'tokenizer.json'), sequenceLength: 128, samples: 8, seed: 0, tokens: 1024, fallback: false });
    assert.equal(saved.embedding.agreement.spearman.length, 7);
    assert.equal(saved.blocks.relativeMagnitude.length, 6);
    // A second run replaces the default report.
    await importanceForFile({ model, data: { kind: 'weights' } });
    assert.equal(readImportanceReport(reportFile).calibration.source, 'weights');
  });

  it('an explicit --out that exists is refused before any work, unless overwriting', async () => {
    const out = path.join(tmp.dir, 'mine.json');
    fs.writeFileSync(out, '{}');
    await assert.rejects(importanceForFile({ model, data: { kind: 'weights' }, out }), (e: unknown) => isSubcloneError(e, 'Exists'));
    assert.equal(fs.readFileSync(out, 'utf8'), '{}');
    await importanceForFile({ model, data: { kind: 'weights' }, out, overwrite: true });
    assert.equal(readImportanceReport(out).calibration.source, 'weights');
  });

  it('a report of another version or missing fixed keys is refused with what to do', () => {
    const file = path.join(tmp.dir, 'old.json');
    fs.writeFileSync(file, JSON.stringify({ version: 0 }));
    assert.throws(() => readImportanceReport(file), /version 0; this Subclone reads version 1: compute importance again/);
    fs.writeFileSync(file, JSON.stringify({ version: 1, embedding: { ranking: [] }, ffn: [] }));
    assert.throws(() => readImportanceReport(file), /lacks embedding\.perLayer, heads, kvGroups, blocks\.relativeMagnitude, calibration/);
  });

  it('random inputs are flagged as a fallback in the report and the summaries', async () => {
    const { report, reportFile } = await importanceForFile({ model, data: { kind: 'random' }, samples: 4, provider: 'cpu' });
    assert.equal(report.calibration.source, 'random');
    assert.equal(report.calibration.fallback, true);
    assert.equal(report.calibration.tokens, 4 * 128);
    assert.match(summaryLines(report, reportFile).join('\n'), /random inputs are a FALLBACK/);
    assert.match(oneLineSummary(report), /\(fallback scores\)/);
  });

  it('vision models calibrate on an image folder: every token (patches + CLS) counts', async () => {
    const vit = path.join(tmp.dir, 'vit.onnx');
    fs.copyFileSync(fixturePath('vit-op17'), vit);
    fs.copyFileSync(fixturePath('vit-op17', 'preprocessor_config.json'), path.join(tmp.dir, 'preprocessor_config.json'));
    const { report } = await importanceForFile({ model: vit, data: { kind: 'path', path: path.join(fixturesDir, 'images') }, batchSize: 3, provider: 'cpu' });
    assert.deepEqual([report.calibration.source, report.calibration.samples, report.calibration.tokens], ['images', 8, 8 * 17]);
    const a = agreementSummary(report);
    assert.equal(a.firstLast, report.embedding.agreement.spearman[1][2]);
  });
});
