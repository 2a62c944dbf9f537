import * as vscode from 'vscode';

/**
 * In an untrusted workspace, Subclone only reads model structure (its own parser, no native code). Anything that
 * runs a model in onnxruntime or writes files asks for trust first. Returns whether the action may run.
 */
export async function requireTrust(action: string): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const choice = await vscode.window.showWarningMessage(
    `${action} runs the model in onnxruntime and writes files, so it needs a trusted workspace.`,
    'Manage Workspace Trust',
  );
  if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}
