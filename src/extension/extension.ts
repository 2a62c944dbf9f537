import * as vscode from 'vscode';

/** Activation: registers commands, the .onnx overview editor and panels. Heavy work runs in the model worker. */
export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Subclone');
  context.subscriptions.push(output);
}

export function deactivate(): void {}
