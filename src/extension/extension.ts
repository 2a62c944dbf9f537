import * as vscode from 'vscode';
import { ConvergencePanels } from './convergence/convergencePanels';
import { ProviderStatus } from './providerStatus';
import { registerCommands } from './commands/registerCommands';
import { HfFolders } from './hfFolders';
import { Log } from './log';
import { ImportanceView } from './importance/importanceView';
import { IMPORTANCE_VIEW_TYPE } from './importance/viewType';
import { OverviewView } from './overview/overviewView';
import { OVERVIEW_VIEW_TYPE } from './overview/viewType';
import { ReadonlyEditorProvider } from './readonlyEditorProvider';
import type { Services } from './services';
import type { SubcloneApi } from './api';
import { ModelWorker } from './worker/modelWorker';

/** Activation: the output channel, the model worker, the status bar item, the commands, the overview, the importance and convergence panels. */
export function activate(context: vscode.ExtensionContext): SubcloneApi {
  const log = new Log();
  context.subscriptions.push(log);
  const worker = new ModelWorker(vscode.Uri.joinPath(context.extensionUri, 'dist', 'worker.js').fsPath, log);
  context.subscriptions.push(worker);
  const services: Services = { worker, log, state: context.workspaceState, extensionUri: context.extensionUri };
  const status = new ProviderStatus(worker, log);
  context.subscriptions.push(status);
  // The overview re-reads the model on every open (cheap); the importance panel keeps its picker and results.
  const overview = ReadonlyEditorProvider.register(OVERVIEW_VIEW_TYPE, (uri, panel) => new OverviewView(uri, panel, services), { retainContextWhenHidden: false });
  const importance = ReadonlyEditorProvider.register(IMPORTANCE_VIEW_TYPE, (uri, panel) => new ImportanceView(uri, panel, services), { retainContextWhenHidden: true });
  const convergence = new ConvergencePanels(services);
  // The explorer offers Subclone's items on Hugging Face checkpoint folders through a context key.
  const hfFolders = new HfFolders(log);
  context.subscriptions.push(overview, importance, convergence, hfFolders);
  const reported = registerCommands(context, services, status, convergence);
  log.info(`Subclone ${context.extension.packageJSON.version as string} activated; execution provider setting: ${worker.preference}`);
  return { worker, providerStatus: () => status.text, onDidPostOverview: overview.onDidPost, onDidPostImportance: importance.onDidPost, onDidPostConvergence: convergence.onDidPost, reportedErrors: reported, hfFolders: () => hfFolders.list, hfFoldersReady: hfFolders.ready, onDidChangeHfFolders: hfFolders.onDidChange };
}

export function deactivate(): void {}
