import * as vscode from 'vscode';
import { ProviderStatus } from './providerStatus';
import { registerCommands } from './commands/registerCommands';
import { Log } from './log';
import { OverviewEditorProvider } from './overview/overviewEditorProvider';
import type { Services } from './services';
import type { SubcloneApi } from './api';
import { ModelWorker } from './worker/modelWorker';

/** Activation: the output channel, the model worker, the status bar item, the commands and the overview editor. */
export function activate(context: vscode.ExtensionContext): SubcloneApi {
  const log = new Log();
  context.subscriptions.push(log);
  const worker = new ModelWorker(vscode.Uri.joinPath(context.extensionUri, 'dist', 'worker.js').fsPath, log);
  context.subscriptions.push(worker);
  const services: Services = { worker, log, state: context.workspaceState, extensionUri: context.extensionUri };
  const status = new ProviderStatus(worker, log);
  context.subscriptions.push(status);
  const overview = OverviewEditorProvider.register(services);
  context.subscriptions.push(overview);
  const reported = registerCommands(context, services, status);
  log.info(`Subclone ${context.extension.packageJSON.version as string} activated; execution provider setting: ${worker.preference}`);
  return { worker, providerStatus: () => status.text, onDidPostOverview: overview.onDidPost, reportedErrors: reported };
}

export function deactivate(): void {}
