import * as vscode from 'vscode';
import type { CallOptions } from '../worker/workerClient';

/** Someone else watching the same call (a panel showing its progress and offering its own Cancel). */
export interface ProgressObserver {
  signal?: AbortSignal;
  onProgress?: (fraction: number | undefined, message: string) => void;
}

/**
 * Runs a worker call under a cancellable progress notification: the worker's fractions become the percentage,
 * its messages the text, and Cancel aborts the call through its AbortSignal. An observer sees the same progress
 * and can cancel too.
 */
export function withWorkerProgress<T>(title: string, run: (options: CallOptions) => Promise<T>, observer: ProgressObserver = {}): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
    const controller = new AbortController();
    const subscription = token.onCancellationRequested(() => controller.abort());
    const onObserverAbort = () => controller.abort();
    observer.signal?.addEventListener('abort', onObserverAbort, { once: true });
    if (observer.signal?.aborted) controller.abort();
    let reported = 0; // percent reported so far: withProgress takes increments
    const onProgress = (fraction: number | undefined, message: string) => {
      observer.onProgress?.(fraction, message);
      if (fraction === undefined) {
        progress.report({ message });
        return;
      }
      const percent = Math.max(reported, Math.min(100, fraction * 100));
      progress.report({ increment: percent - reported, message: `${Math.round(percent)}% — ${message}` });
      reported = percent;
    };
    return run({ signal: controller.signal, onProgress }).finally(() => {
      subscription.dispose();
      observer.signal?.removeEventListener('abort', onObserverAbort);
    });
  });
}
