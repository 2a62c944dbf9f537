import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { importanceReportPath } from '../../core/importance/reportFile';
import { IMPORTANCE_VIEW_TYPE } from '../importance/viewType';
import { resolveModel } from '../modelTarget';

const ACTION = 'Show Neuron Importance';

/**
 * "Show Neuron Importance": opens the model's report (`<model>.importance.json` beside it) in the importance
 * panel; without one, offers to compute it (which opens the panel when done). Resolves with the report's URI, or
 * undefined when there is none (yet).
 */
export async function showImportanceCommand(uriArg: unknown): Promise<vscode.Uri | undefined> {
  const model = await resolveModel(uriArg, ACTION);
  if (!model) return undefined;
  const report = vscode.Uri.file(importanceReportPath(model.fsPath));
  if (fs.existsSync(report.fsPath)) {
    await vscode.commands.executeCommand('vscode.openWith', report, IMPORTANCE_VIEW_TYPE);
    return report;
  }
  const choice = await vscode.window.showInformationMessage(
    `${path.basename(model.fsPath)} has no importance report yet (${path.basename(report.fsPath)}). Compute one on calibration data?`,
    'Compute Neuron Importance',
  );
  if (choice) await vscode.commands.executeCommand('subclone.computeImportance', model);
  return undefined;
}
