import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorMessage, isSubcloneError } from '../../core/errors';
import { isFromOverview, unreachable, type FromOverview, type ToOverview } from '../../protocol/webviewProtocol';
import { Disposable } from '../dispose';
import type { Services } from '../services';
import { isHfWeights, modelFileOf, shardsOf } from '../modelTarget';
import { overviewData, type HfFiles, type Inspection } from './overviewData';
import { webviewHtml, webviewResourceRoots } from '../webviewHtml';

/** The overview's buttons and the command each runs on this model. */
const BUTTON_COMMANDS = {
  subclone: 'subclone.subclone',
  computeImportance: 'subclone.computeImportance',
  showImportance: 'subclone.showImportance',
  checkConvergence: 'subclone.checkConvergence',
} as const;

/**
 * One overview editor: renders a model's structure in its webview. Waits for the webview's `ready`, then reads
 * the model in the worker (`inspect`, falling back to `summarize` while recognition is unavailable) and posts it;
 * reads again when the file changes. The buttons run the same commands as the palette. A Hugging Face checkpoint
 * opens from any of its weight files (a shard reads the whole checkpoint through its index) and is read again
 * when config.json or the weights change.
 */
export class OverviewView extends Disposable {
  private ready = false;
  private loads = 0;
  private readonly loadedEmitter = this.register(new vscode.EventEmitter<ToOverview>());
  /** Fires with each `model` or `loadError` message posted (for tests and the reload watcher). */
  readonly onDidPost = this.loadedEmitter.event;

  constructor(
    private readonly uri: vscode.Uri,
    private readonly panel: vscode.WebviewPanel,
    private readonly services: Services,
  ) {
    super();
    const webview = panel.webview;
    webview.options = { enableScripts: true, localResourceRoots: webviewResourceRoots(services.extensionUri) };
    webview.html = webviewHtml(webview, services.extensionUri, { title: 'Model overview', script: 'overview.js', styles: ['media/overview.css'] });
    this.register(webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)));
    const watched = isHfWeights(uri.fsPath) ? '{config.json,*.safetensors,model.safetensors.index.json}' : path.basename(uri.fsPath);
    const watcher = this.register(vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(uri.fsPath)), watched)));
    this.register(watcher.onDidChange(() => this.ready && void this.load()));
    this.register(watcher.onDidCreate(() => this.ready && void this.load()));
  }

  private onMessage(message: unknown): void {
    if (!isFromOverview(message)) {
      this.services.log.warn(`overview: ignored an unknown message ${JSON.stringify(message)}`);
      return;
    }
    this.handle(message);
  }

  private handle(message: FromOverview): void {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        void this.load();
        return;
      case 'reload':
        void this.load();
        return;
      case 'subclone':
      case 'computeImportance':
      case 'showImportance':
      case 'checkConvergence':
        void vscode.commands.executeCommand(BUTTON_COMMANDS[message.type], this.uri);
        return;
      default:
        unreachable(message, 'overview message');
    }
  }

  /** Reads the model and posts the overview; a newer load supersedes an older one still running. */
  private async load(): Promise<void> {
    const load = ++this.loads;
    const file = modelFileOf(this.uri.fsPath);
    const fileName = path.basename(this.uri.fsPath);
    const post = (m: ToOverview) => {
      if (load !== this.loads || this.isDisposed) return;
      void this.panel.webview.postMessage(m);
      if (m.type !== 'loading') this.loadedEmitter.fire(m);
    };
    post({ type: 'loading', fileName });
    try {
      const trusted = vscode.workspace.isTrusted;
      const { summary, inspection } = trusted ? await this.inspect(file) : { summary: await this.services.worker.call('summarize', { file }), inspection: { failed: 'the workspace is not trusted' } };
      const hf = summary.format === 'safetensors' ? hfFilesOf(file) : undefined;
      const fileBytes = hf ? hf.weights.reduce((a, w) => a + (w.bytes ?? 0), 0) : fs.statSync(file).size;
      const context = { fileName, path: vscode.workspace.asRelativePath(file), fileBytes, trusted, subclone: fs.existsSync(path.join(path.dirname(file), 'subclone.json')), ...(hf ? { hf } : {}) };
      post({ type: 'model', data: overviewData(summary, inspection, context) });
    } catch (e) {
      this.services.log.error(`overview of ${file}`, e);
      post({ type: 'loadError', fileName, code: isSubcloneError(e) ? e.code : 'Runtime', message: errorMessage(e) });
    }
  }

  private async inspect(file: string) {
    try {
      const { summary, map, unsupported } = await this.services.worker.call('inspect', { file });
      return { summary, inspection: { map, unsupported } satisfies Inspection };
    } catch (e) {
      // A model that cannot be read fails summarize too, with the same error; anything else is recognition's.
      const summary = await this.services.worker.call('summarize', { file });
      return { summary, inspection: { failed: errorMessage(e) } satisfies Inspection };
    }
  }
}

/** A Hugging Face checkpoint's files beside its weights file (model.safetensors or the shard index). */
function hfFilesOf(weights: string): HfFiles {
  const folder = path.dirname(weights);
  const config = path.join(folder, 'config.json');
  let configJson: Record<string, unknown> | null = null;
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(config, 'utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) configJson = parsed as Record<string, unknown>;
  } catch {
    // The worker already read it to build the graph; a file that changed since shows on the next load.
  }
  const index = weights.toLowerCase().endsWith('.json') ? weights : null;
  const names = index ? shardsOf(index) : [path.basename(weights)];
  const size = (name: string) => {
    try {
      return fs.statSync(path.join(folder, name)).size;
    } catch {
      return null;
    }
  };
  return {
    folder: path.basename(folder),
    config: vscode.workspace.asRelativePath(config),
    configJson,
    weights: names.map((name) => ({ name, bytes: size(name) })),
    index: index && path.basename(index),
  };
}
