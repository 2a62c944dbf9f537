import * as path from 'node:path';
import * as vscode from 'vscode';
import { OVERVIEW_VIEW_TYPE } from './overview/viewType';

/**
 * The model a command acts on: the URI it was invoked with (explorer context menu, editor title, overview
 * button), else the model in the active overview editor, else one the user picks from the workspace's .onnx
 * files (or a file dialog when there are none). Undefined when the user dismissed the choice.
 */
export async function resolveModel(arg: unknown, purpose: string): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputCustom && input.viewType === OVERVIEW_VIEW_TYPE) return input.uri;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && isOnnx(active)) return active;
  return pickModel(purpose);
}

export function isOnnx(uri: vscode.Uri): boolean {
  return uri.path.toLowerCase().endsWith('.onnx');
}

async function pickModel(purpose: string): Promise<vscode.Uri | undefined> {
  const found = await vscode.workspace.findFiles('**/*.onnx', '**/node_modules/**', 500);
  if (found.length === 0) {
    const picked = await vscode.window.showOpenDialog({
      title: `${purpose}: choose an ONNX model`,
      canSelectMany: false,
      filters: { 'ONNX models': ['onnx'] },
    });
    return picked?.[0];
  }
  const items = found
    .map((uri) => ({ label: path.basename(uri.fsPath), description: vscode.workspace.asRelativePath(path.dirname(uri.fsPath)), uri }))
    .sort((a, b) => (a.description + a.label).localeCompare(b.description + b.label));
  const choice = await vscode.window.showQuickPick(items, { title: `${purpose}: choose a model`, matchOnDescription: true });
  return choice?.uri;
}
