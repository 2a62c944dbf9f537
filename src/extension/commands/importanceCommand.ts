import * as vscode from 'vscode';
import type { Result } from '../../protocol/workerProtocol';
import { IMPORTANCE_VIEW_TYPE } from '../importance/viewType';
import { modelName, resolveModel } from '../modelTarget';
import type { Services } from '../services';
import { pickCalibrationData } from '../subclone/calibrationData';
import { parseActionArgs } from '../subclone/commandArgs';
import { requireTrust } from '../trust';
import { withWorkerProgress } from '../withWorkerProgress';

const ACTION = 'Compute Neuron Importance';

/**
 * "Compute Neuron Importance": choose calibration data (remembered per model, shared with Subclone…), run
 * `importance` in the worker under a cancellable progress notification, then open the report in the importance
 * panel.
 */
export async function importanceCommand(services: Services, uriArg: unknown, optionsArg: unknown): Promise<Result<'importance'> | undefined> {
  const args = parseActionArgs(optionsArg, (keys) => services.log.info(`Compute Neuron Importance: ignored option(s) it does not own: ${keys.join(', ')}`));
  const model = await resolveModel(uriArg, ACTION);
  if (!model || !(await requireTrust(ACTION))) return undefined;
  const file = model.fsPath;
  const name = modelName(file);
  const data = args.data !== undefined ? { data: args.data } : await pickCalibrationData(services.state, model, `Importance of ${name}`);
  if (!data) return undefined;
  const params = { file, data: data.data, ...(args.samples ? { samples: args.samples } : {}) };
  const result = await withWorkerProgress(`Neuron importance of ${name}`, (options) => services.worker.call('importance', params, options));
  services.log.info(`importance ${file}: ${result.summary} (report ${result.reportFile})`);
  const report = vscode.Uri.file(result.reportFile);
  await vscode.commands.executeCommand('vscode.openWith', report, IMPORTANCE_VIEW_TYPE);
  void vscode.window.showInformationMessage(`Neuron importance of ${name}: ${result.summary}`, 'Open as JSON').then(async (choice) => {
    if (choice) await vscode.commands.executeCommand('vscode.openWith', report, 'default');
  });
  return result;
}
