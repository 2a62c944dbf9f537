import * as vscode from 'vscode';
import { resolveModel } from '../modelTarget';
import { OVERVIEW_VIEW_TYPE } from '../overview/viewType';

/** "Show Model Overview": opens the model in the overview editor (or focuses the one already open). */
export async function overviewCommand(uriArg: unknown): Promise<void> {
  const model = await resolveModel(uriArg, 'Show Model Overview');
  if (model) await vscode.commands.executeCommand('vscode.openWith', model, OVERVIEW_VIEW_TYPE);
}
