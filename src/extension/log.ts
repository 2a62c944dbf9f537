import * as vscode from 'vscode';
import { errorMessage, isSubcloneError } from '../core/errors';

/** The "Subclone" output channel: what ran, how long it took, notices and error details. */
export class Log implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;

  constructor() {
    this.channel = vscode.window.createOutputChannel('Subclone', { log: true });
  }

  info(message: string): void {
    this.channel.info(message);
  }

  warn(message: string): void {
    this.channel.warn(message);
  }

  /** Records an error with its code, cause chain and stack. */
  error(context: string, e: unknown): void {
    const code = isSubcloneError(e) ? ` [${e.code}]` : '';
    this.channel.error(`${context}${code}: ${errorMessage(e)}`);
    let cause = e instanceof Error ? e.cause : undefined;
    while (cause !== undefined) {
      this.channel.error(`  caused by: ${errorMessage(cause)}`);
      cause = cause instanceof Error ? cause.cause : undefined;
    }
    if (e instanceof Error && e.stack && !isSubcloneError(e)) this.channel.debug(e.stack);
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
