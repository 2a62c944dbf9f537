import * as vscode from 'vscode';
import type { CallOptions } from '../core/runtime/workerClient';

/**
 * Runs a worker call under a cancellable progress notification: the worker's fractions become the percentage,
 * its messages the text, and Cancel aborts the call through its AbortSignal.
 */
export function withWorkerProgress<T>(title: string, run: (options: CallOptions) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
    const controller = new AbortController();
    const subscription = token.onCancellationRequested(() => controller.abort());
    let reported = 0; // percent reported so far: withProgress takes increments
    const onProgress = (fraction: number | undefined, message: string) => {
      if (fraction === undefined) {
        progress.report({ message });
        return;
      }
      const percent = Math.max(reported, Math.min(100, fraction * 100));
      progress.report({ increment: percent - reported, message: `${Math.round(percent)}% — ${message}` });
      reported = percent;
    };
    return run({ signal: controller.signal, onProgress }).finally(() => subscription.dispose());
  });
}
