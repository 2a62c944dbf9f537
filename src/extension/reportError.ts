import * as vscode from 'vscode';
import { errorMessage, isSubcloneError } from '../core/errors';
import type { Log } from './log';

/**
 * Shows a failed action as a notification ("Subclone…: <message>") with a button to the details in the output
 * channel, where the error is logged in full. A cancellation is only noted in the log.
 */
export function reportError(log: Log, action: string, e: unknown): void {
  if (isSubcloneError(e, 'Cancelled')) {
    log.info(`${action}: cancelled`);
    return;
  }
  log.error(action, e);
  const message = isSubcloneError(e) ? e.message : `internal error: ${errorMessage(e)}`;
  void vscode.window.showErrorMessage(`${action}: ${message}`, 'Show Details').then((choice) => {
    if (choice) log.show();
  });
}
