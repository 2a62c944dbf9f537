import * as vscode from 'vscode';
import { errorMessage } from '../core/errors';
import { CUDA_INSTALL_HINT, cudaProviderInstalled, type Provider } from '../core/runtime/executionProvider';
import { Disposable } from './dispose';
import type { Log } from './log';
import type { ModelWorker } from './worker/modelWorker';

interface ProviderState {
  /** The provider sessions run on, when known; undefined before the worker has said. */
  provider: Provider | undefined;
  /** Why not CUDA, when CUDA was wanted and the CPU runs instead. */
  reason: string | null;
}

/**
 * The status bar item that says which execution provider runs the models ("ORT: CPU", "ORT: CUDA"), from the
 * worker's answers and notices. A CUDA fallback is announced once per session with the reason and how to
 * install the provider.
 */
export class ProviderStatus extends Disposable {
  private readonly item = this.register(vscode.window.createStatusBarItem('subclone.provider', vscode.StatusBarAlignment.Right, 100));
  private state: ProviderState;
  private warned = false;

  constructor(
    private readonly worker: ModelWorker,
    private readonly log: Log,
  ) {
    super();
    this.item.name = 'Subclone Execution Provider';
    this.item.command = 'subclone.selectExecutionProvider';
    // Before the worker has answered: the CUDA library's presence is a good first guess, checked on disk.
    this.state = worker.preference === 'cpu' || !cudaProviderInstalled()
      ? { provider: 'cpu', reason: worker.preference === 'cpu' ? null : `the CUDA provider library is not installed. ${CUDA_INSTALL_HINT}` }
      : { provider: undefined, reason: null };
    this.register(worker.onNotice(({ message }) => this.onFallback(message)));
    this.register(worker.onPreferenceChange(() => void this.refresh()));
    this.render();
    this.item.show();
  }

  /** Asks the worker which provider a session would use now, and shows it. */
  async refresh(): Promise<void> {
    try {
      const answer = await this.worker.call('executionProvider', {});
      this.state = { provider: answer.provider, reason: answer.reason };
    } catch (e) {
      this.log.error('could not read the execution provider', e);
    }
    this.render();
  }

  private onFallback(message: string): void {
    this.state = { provider: 'cpu', reason: message };
    this.render();
    if (this.warned) return;
    this.warned = true;
    void vscode.window.showWarningMessage(`Subclone: ${message}`, 'Select Execution Provider').then((choice) => {
      if (choice) void vscode.commands.executeCommand('subclone.selectExecutionProvider');
    }, (e: unknown) => this.log.warn(errorMessage(e)));
  }

  private render(): void {
    const preference = this.worker.preference;
    const { provider, reason } = this.state;
    const shown = provider ? provider.toUpperCase() : preference === 'cuda' ? 'CUDA' : 'CUDA?';
    const cudaMissing = preference === 'cuda' && provider === 'cpu';
    this.item.text = `$(${provider === 'cuda' ? 'zap' : 'server-process'}) ORT: ${shown}`;
    this.item.backgroundColor = cudaMissing ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown(`**Subclone execution provider**\n\nSetting: \`${preference}\`\n\n`);
    tooltip.appendMarkdown(provider ? `Models run on: **${provider.toUpperCase()}**\n\n` : 'Not known yet: CUDA is tried on the first model run.\n\n');
    if (reason) tooltip.appendMarkdown(`${cudaMissing ? 'CUDA was requested but is unavailable' : 'Not CUDA because'}: ${reason}\n\n`);
    tooltip.appendMarkdown('Click to change.');
    this.item.tooltip = tooltip;
  }

  /** What the item shows now (for tests). */
  get text(): string {
    return this.item.text;
  }
}
