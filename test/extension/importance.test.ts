import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { Result } from '../../src/protocol/workerProtocol';
import { activateExtension, exampleModel, runReporting } from './harness';

describe('Compute Neuron Importance', () => {
  it('computes importance on the example with a few calibration samples and writes a report [waits on importance]', async () => {
    const api = await activateExtension();
    const model = exampleModel();
    const data = vscode.Uri.joinPath(model, '..', 'kjv.txt').fsPath;
    const result = await runReporting<Result<'importance'>>(api, 'subclone.computeImportance', model, { data, samples: 4 });
    assert.ok(fs.existsSync(result.reportFile), `${result.reportFile} was not written`);
    assert.ok(result.summary.length > 0);
  });
});
