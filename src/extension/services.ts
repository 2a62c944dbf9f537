import type * as vscode from 'vscode';
import type { Log } from './log';
import type { ModelWorker } from './worker/modelWorker';

/** What commands and editors share: created once in activate. */
export interface Services {
  worker: ModelWorker;
  log: Log;
  /** Workspace state: calibration-data choices per model. */
  state: vscode.Memento;
  extensionUri: vscode.Uri;
}
