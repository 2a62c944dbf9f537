import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SubcloneApi } from '../../src/extension/api';
import type { ToOverview } from '../../src/protocol/webviewProtocol';

export const EXTENSION_ID = 'subclone.subclone';

/** The extension, activated; its exports are the test API. */
export async function activateExtension(): Promise<SubcloneApi> {
  const ext = vscode.extensions.getExtension<SubcloneApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed in this VS Code`);
  return ext.isActive ? ext.exports : ext.activate();
}

/** The test workspace (the runners copy examples/kjv-gpt2 into it). */
export function workspaceDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the extension-host tests need a workspace folder (the runners open one)');
  return folder.uri.fsPath;
}

/** The example GPT-2 (6 layers × 192) inside the test workspace. */
export function exampleModel(): vscode.Uri {
  const file = path.join(workspaceDir(), 'kjv-gpt2', 'model.onnx');
  assert.ok(fs.existsSync(file), `${file} is missing: the runner copies examples/kjv-gpt2 into the workspace`);
  return vscode.Uri.file(file);
}

/** A fresh folder under the workspace for one test's outputs. */
export function outputDir(name: string): string {
  const dir = path.join(workspaceDir(), 'test-output', `${name}-${Date.now()}`);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  return dir;
}

/** The next `model` or `loadError` message an overview posts for `uri`. */
export function nextOverviewMessage(api: SubcloneApi, uri: vscode.Uri, timeoutMs = 60_000): Promise<Exclude<ToOverview, { type: 'loading' }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no overview of ${uri.fsPath} within ${timeoutMs} ms`));
    }, timeoutMs);
    const sub = api.onDidPostOverview(({ uri: u, message }) => {
      if (u.fsPath !== uri.fsPath || message.type === 'loading') return;
      clearTimeout(timer);
      sub.dispose();
      resolve(message);
    });
  });
}

/**
 * Runs a command that reports its errors as notifications (and resolves undefined); fails the test with the
 * reported error's code and message instead of a bare "undefined".
 */
export async function runReporting<T>(api: SubcloneApi, command: string, ...args: unknown[]): Promise<T> {
  const before = api.reportedErrors.length;
  const result = await vscode.commands.executeCommand<T | undefined>(command, ...args);
  const errors = api.reportedErrors.slice(before);
  if (errors.length) assert.fail(`${command} reported ${errors.map((e) => `[${e.code}] ${e.message}`).join('; ')}`);
  assert.ok(result !== undefined, `${command} resolved without a result and without an error`);
  return result;
}

export async function closeAllEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}
