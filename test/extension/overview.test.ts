import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { OverviewData } from '../../src/protocol/webviewProtocol';
import { repoRoot } from '../helpers/paths';
import { activateExtension, closeAllEditors, exampleModel, nextOverviewMessage, outputDir } from './harness';

describe('model overview editor', () => {
  afterEach(closeAllEditors);

  async function openOverview(uri: vscode.Uri): Promise<OverviewData> {
    const api = await activateExtension();
    const posted = nextOverviewMessage(api, uri);
    await vscode.commands.executeCommand('subclone.showOverview', uri);
    const message = await posted;
    assert.equal(message.type, 'model', message.type === 'loadError' ? `overview failed: [${message.code}] ${message.message}` : '');
    return (message as { data: OverviewData }).data;
  }

  it('opens as the custom editor for .onnx and shows inputs, outputs, operators and parameters', async () => {
    const uri = exampleModel();
    const data = await openOverview(uri);
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputCustom, 'the active tab is not a custom editor');
    assert.equal(tab.input.viewType, 'subclone.modelOverview');
    assert.equal(data.fileName, 'model.onnx');
    assert.deepEqual(data.inputs.map((i) => i.name), ['input_ids']);
    assert.deepEqual(data.outputs.map((o) => [o.name, o.shape?.[2]]), [['logits', 256]]);
    assert.ok(data.parameters > 2_700_000 && data.parameters < 2_900_000, `parameters ${data.parameters}`);
    assert.ok(data.ops.some(([op]) => op === 'LayerNormalization'));
  });

  it('shows the recognised architecture: GPT-2, 6 layers × 192, 6 heads, FFN 768 [waits on inspect]', async () => {
    const data = await openOverview(exampleModel());
    const r = data.recognition;
    assert.equal(r.status, 'recognized', r.status !== 'recognized' ? r.reason : '');
    if (r.status !== 'recognized') return;
    assert.equal(r.family, 'gpt2');
    assert.equal(r.dims.layers, 6);
    assert.equal(r.dims.dModel, 192);
    assert.equal(r.dims.heads, 6);
    assert.equal(r.dims.ffn, 768);
    assert.ok(r.parameterCounts.total > 0);
    assert.equal(data.actionsEnabled, true, data.actionsDisabledReason ?? '');
  });

  it('says why recognition is missing instead of failing when inspect is unavailable', async function () {
    const data = await openOverview(exampleModel());
    if (data.recognition.status === 'recognized') this.skip(); // inspect has landed; the test above covers it
    assert.equal(data.recognition.status, 'unavailable');
    assert.match(data.recognition.reason, /recognition is unavailable/i);
    assert.equal(data.actionsEnabled, false);
  });

  it('says what the recognizer could not support for a model that is not a transformer', async function () {
    const cnn = path.join(repoRoot, 'test', 'fixtures', 'models', 'cnn-op17', 'model.onnx');
    if (!fs.existsSync(cnn)) this.skip(); // generated fixtures (scripts/fixtures) not in this checkout
    const data = await openOverview(vscode.Uri.file(cnn));
    if (data.recognition.status === 'unavailable') this.skip(); // inspect has not landed
    assert.equal(data.recognition.status, 'unsupported');
    assert.match(data.recognition.reason, /\S/);
    assert.equal(data.actionsEnabled, false);
  });

  it('reports an unreadable .onnx file in the editor with its error code', async () => {
    const api = await activateExtension();
    const dir = outputDir('broken');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'broken.onnx');
    fs.writeFileSync(file, 'this is not a protobuf model');
    const uri = vscode.Uri.file(file);
    const posted = nextOverviewMessage(api, uri);
    await vscode.commands.executeCommand('vscode.openWith', uri, 'subclone.modelOverview');
    const message = await posted;
    assert.equal(message.type, 'loadError');
    if (message.type === 'loadError') assert.equal(message.code, 'BadModel', message.message);
  });
});
