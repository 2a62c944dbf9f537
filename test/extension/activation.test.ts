import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateExtension, EXTENSION_ID } from './harness';

const COMMANDS = ['subclone.subclone', 'subclone.showOverview', 'subclone.computeImportance', 'subclone.showImportance', 'subclone.checkConvergence', 'subclone.cancelConvergence', 'subclone.selectExecutionProvider'];

describe('activation', () => {
  it('activates and registers its commands', async () => {
    await activateExtension();
    const all = await vscode.commands.getCommands(true);
    for (const c of COMMANDS) assert.ok(all.includes(c), `${c} is not registered`);
  });

  it('contributes "Subclone…" to the explorer context menu for .onnx files and to the overview title', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as {
      contributes: { menus: Record<string, { command: string; when?: string }[]>; commands: { command: string; title: string }[] };
    };
    const explorer = pkg.contributes.menus['explorer/context'].find((m) => m.command === 'subclone.subclone');
    assert.match(explorer?.when ?? '', /resourceExtname == \.onnx/);
    const title = pkg.contributes.menus['editor/title'].find((m) => m.command === 'subclone.subclone');
    assert.match(title?.when ?? '', /activeCustomEditorId == subclone\.modelOverview/);
    assert.equal(pkg.contributes.commands.find((c) => c.command === 'subclone.subclone')?.title, 'Subclone…');
  });

  it('shows the execution provider in the status bar and follows the setting', async () => {
    const api = await activateExtension();
    assert.match(api.providerStatus(), /ORT: (CPU|CUDA)/);
    try {
      assert.equal(await vscode.commands.executeCommand('subclone.selectExecutionProvider', 'cpu'), 'cpu');
      assert.equal(vscode.workspace.getConfiguration('subclone').get('executionProvider'), 'cpu');
      await waitFor(() => api.worker.preference === 'cpu', 'the worker to follow the setting');
      const answer = await api.worker.call('executionProvider', {});
      assert.deepEqual(answer, { preference: 'cpu', provider: 'cpu', reason: null });
      await waitFor(() => api.providerStatus().includes('ORT: CPU'), 'the status bar to show CPU');
    } finally {
      await vscode.commands.executeCommand('subclone.selectExecutionProvider', 'auto');
    }
  });

  it('with auto and no CUDA provider installed, says why the CPU runs and how to install CUDA', async function () {
    const api = await activateExtension();
    await waitFor(() => api.worker.preference === 'auto', 'the setting to return to auto');
    const answer = await api.worker.call('executionProvider', {});
    if (answer.provider === 'cuda') this.skip(); // a machine with CUDA: nothing to explain
    assert.equal(answer.provider, 'cpu');
    assert.match(answer.reason ?? '', /CUDA.*install/i);
  });
});

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
