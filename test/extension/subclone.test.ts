import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { ApplyResult } from '../../src/extension/commands/subcloneCommand';
import { activateExtension, exampleModel, outputDir, runReporting } from './harness';

describe('Subclone… (command with options, no questions)', () => {
  it('subclones the example to half depth, data-free [waits on inspect, shapePresets, apply]', async () => {
    const api = await activateExtension();
    const outDir = outputDir('half-depth');
    const result = await runReporting<ApplyResult>(api, 'subclone.subclone', exampleModel(), { shape: 'half-depth', data: null, outDir, overwrite: true });
    assert.equal(result.outDir, outDir);
    assert.ok(fs.existsSync(result.modelFile), `${result.modelFile} was not written`);
    assert.ok(result.parameters.child < result.parameters.parent, JSON.stringify(result.parameters));
    const child = await api.worker.call('inspect', { file: result.modelFile });
    assert.equal(child.map?.dims.layers, 3);
    assert.equal(child.map?.dims.dModel, 192);
  });

  it('subclones to a custom shape with calibration data [waits on inspect, shapePresets, validateShape, apply]', async () => {
    const api = await activateExtension();
    const model = exampleModel();
    const data = vscode.Uri.joinPath(model, '..', 'kjv.txt').fsPath;
    const shape = { layers: 4, dModel: 128, heads: 4, kvHeads: 4, ffn: 512 };
    const result = await runReporting<ApplyResult>(api, 'subclone.subclone', model, { shape, data, outDir: outputDir('custom'), overwrite: true });
    const child = await api.worker.call('inspect', { file: result.modelFile });
    assert.deepEqual(child.map && { layers: child.map.dims.layers, dModel: child.map.dims.dModel, heads: child.map.dims.heads }, { layers: 4, dModel: 128, heads: 4 });
  });

  it('offers the four presets for the example, each smaller than the parent [waits on shapePresets]', async () => {
    const api = await activateExtension();
    const presets = await api.worker.call('shapePresets', { file: exampleModel().fsPath });
    assert.deepEqual(presets.map((p) => p.id).sort(), ['half-both', 'half-depth', 'half-width', 'quarter-params']);
    const halfDepth = presets.find((p) => p.id === 'half-depth');
    assert.deepEqual(halfDepth?.shape, { layers: 3, dModel: 192, heads: 6, kvHeads: 6, ffn: 768 });
    for (const p of presets) assert.ok(p.parameters > 0 && p.parameters < 2_800_000, `${p.id}: ${p.parameters}`);
  });

  it('rejects an impossible custom shape with the engine\'s message [waits on validateShape]', async () => {
    const api = await activateExtension();
    const verdict = await api.worker.call('validateShape', { file: exampleModel().fsPath, shape: { layers: 3, dModel: 100, heads: 7, kvHeads: 7, ffn: 768 } });
    assert.equal(verdict.ok, false);
    assert.ok(verdict.message && verdict.message.length > 0);
  });

  it('cancels apply through the worker and leaves no output folder [waits on apply]', async () => {
    const api = await activateExtension();
    const outDir = outputDir('cancelled');
    const controller = new AbortController();
    const call = api.worker.call(
      'apply',
      { file: exampleModel().fsPath, shape: { layers: 3, dModel: 192, heads: 6, kvHeads: 6, ffn: 768 }, data: null, outDir },
      { signal: controller.signal, onProgress: () => controller.abort() },
    );
    await assert.rejects(call, (e: Error & { code?: string }) => {
      assert.equal(e.code, 'Cancelled', `${e.code}: ${e.message}`);
      return true;
    });
    assert.ok(!fs.existsSync(outDir), `${outDir} was left behind`);
  });

  it('reports an unknown option as a clear error instead of running', async () => {
    const api = await activateExtension();
    const before = api.reportedErrors.length;
    const result = await vscode.commands.executeCommand('subclone.subclone', exampleModel(), { shape: 'tiny' });
    assert.equal(result, undefined);
    const reported = api.reportedErrors.slice(before);
    assert.equal(reported.length, 1);
    assert.equal(reported[0].code, 'BadArgument');
    assert.match(reported[0].message, /unknown preset "tiny"/);
  });

  it('ignores option keys it does not own (VS Code adds preserveFocus in some invocations); a wrong type of its own is an error [waits on apply]', async () => {
    const api = await activateExtension();
    const outDir = outputDir('foreign-keys');
    const result = await runReporting<ApplyResult>(api, 'subclone.subclone', exampleModel(), { shape: 'half-depth', data: null, outDir, overwrite: true, preserveFocus: true, viewColumn: 1 });
    assert.ok(fs.existsSync(result.modelFile));
    const before = api.reportedErrors.length;
    assert.equal(await vscode.commands.executeCommand('subclone.subclone', exampleModel(), { shape: 'half-depth', data: 42, preserveFocus: true }), undefined);
    const reported = api.reportedErrors.slice(before);
    assert.equal(reported.length, 1);
    assert.match(reported[0].message, /options\.data must be a path or null/);
  });
});
