import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ImportanceViewData, ToImportance } from '../../src/protocol/importanceProtocol';
import type { Result } from '../../src/protocol/workerProtocol';
import type { SubcloneApi } from '../../src/extension/api';
import { activateExtension, closeAllEditors, exampleModel, outputDir, runReporting } from './harness';

/** The next `report` or `loadError` an importance panel posts for `uri`. */
function nextReport(api: SubcloneApi, uri: vscode.Uri, timeoutMs = 60_000): Promise<Extract<ToImportance, { type: 'report' | 'loadError' }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no importance panel for ${uri.fsPath} within ${timeoutMs} ms`));
    }, timeoutMs);
    const sub = api.onDidPostImportance(({ uri: u, message }) => {
      if (u.fsPath !== uri.fsPath || (message.type !== 'report' && message.type !== 'loadError')) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(message);
    });
  });
}

function dataOf(message: Extract<ToImportance, { type: 'report' | 'loadError' }>): ImportanceViewData {
  if (message.type === 'loadError') assert.fail(`the panel failed: [${message.code}] ${message.message}`);
  return message.data;
}

describe('Compute Neuron Importance and the importance panel', () => {
  let api: SubcloneApi;
  let reportFile: string;
  before(async function () {
    this.timeout(120_000);
    api = await activateExtension();
    const model = exampleModel();
    const report = vscode.Uri.joinPath(model, '..', 'model.importance.json');
    // Compute Neuron Importance opens its report in the panel when it finishes.
    const opened = nextReport(api, report);
    const result = await runReporting<Result<'importance'>>(api, 'subclone.computeImportance', model, { data: vscode.Uri.joinPath(model, '..', 'kjv.txt').fsPath, samples: 8 });
    reportFile = result.reportFile;
    assert.equal(reportFile, report.fsPath);
    assert.ok(fs.existsSync(reportFile), `${reportFile} was not written`);
    assert.match(result.summary, /tokens of kjv\.txt/);
    dataOf(await opened);
    await closeAllEditors();
  });
  afterEach(closeAllEditors);

  it('opens a report in the panel with the consistency verdict, the parent and the presets [waits on importance, inspect]', async () => {
    const uri = vscode.Uri.file(reportFile);
    const posted = nextReport(api, uri);
    await vscode.commands.executeCommand('vscode.openWith', uri, 'subclone.importanceReport');
    const data = dataOf(await posted);
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputCustom && tab.input.viewType === 'subclone.importanceReport', 'the report did not open in the importance panel');
    assert.equal(data.fileName, 'model.importance.json');
    assert.equal(data.report.embedding.perLayer.length, 7);
    assert.equal(data.report.model.sha256?.length, 64);
    assert.match(data.consistency.sentence, /neighbouring blocks|rank/);
    assert.deepEqual(data.parent?.shape, { layers: 6, dModel: 192, heads: 6, kvHeads: 6, ffn: 768 });
    assert.deepEqual(data.presets.map((p) => p.id).sort(), ['half-both', 'half-depth', 'half-width', 'quarter-params']);
    assert.equal(data.actionsEnabled, true, data.actionsDisabledReason ?? '');
    assert.equal(data.lossScoring.available, true, data.lossScoring.reason ?? '');
  });

  it('Show Neuron Importance on the model opens its report', async () => {
    const uri = vscode.Uri.file(reportFile);
    const posted = nextReport(api, uri);
    const shown = await runReporting<vscode.Uri>(api, 'subclone.showImportance', exampleModel());
    assert.equal(shown.fsPath, reportFile);
    dataOf(await posted);
  });

  it('scores block candidates for a shape, then selection and Subclone with this shape reuse them [waits on scoreBlocks, selectShape, apply]', async () => {
    const shape = { layers: 3, dModel: 96, heads: 3, kvHeads: 3, ffn: 384 };
    const before = await api.worker.call('selectShape', { reportFile, shape, policy: 'loss' });
    assert.equal(before.blocks, null);
    const search = await api.worker.call('scoreBlocks', { reportFile, shape });
    assert.equal(search.candidates.length, 10);
    const after = await api.worker.call('selectShape', { reportFile, shape, policy: 'loss' });
    assert.deepEqual(after.blocks, search.chosen);
    assert.equal(after.kept?.embedding.length, 96);
    const outDir = outputDir('from-panel');
    const data = path.join(path.dirname(reportFile), 'kjv.txt');
    const result = await api.worker.call('apply', { file: exampleModel().fsPath, shape, data, report: reportFile, blocks: 'loss', outDir });
    assert.deepEqual(result.blocks, search.chosen);
    const provenance = JSON.parse(fs.readFileSync(path.join(outDir, 'subclone.json'), 'utf8'));
    assert.equal(provenance.importance.report, reportFile);
    assert.deepEqual(provenance.blockSelection.candidates, search.candidates, 'apply reused the panel\'s search');
  });

  it('fits a parameter budget on the report\'s data [waits on fitBudget]', async () => {
    const result = await api.worker.call('fitBudget', { reportFile, budget: { percent: 25 }, candidates: 2 });
    assert.equal(result.candidates.length, 2);
    for (const c of result.candidates) assert.ok(c.parameters <= result.budget && c.fraction <= 0.25, JSON.stringify(c));
    assert.ok(result.candidates[0].loss <= result.candidates[1].loss);
  });
});
