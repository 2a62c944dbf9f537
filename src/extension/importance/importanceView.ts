import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorMessage, isSubcloneError } from '../../core/errors';
import type { ImportanceReport } from '../../core/importance/report';
import {
  isFromImportance,
  type FromImportance,
  type ImportanceViewData,
  type PanelBlockPolicy,
  type SubcloneRun,
  type ToImportance,
} from '../../protocol/importanceProtocol';
import type { TargetShape } from '../../protocol/shapes';
import { unreachable } from '../../protocol/webviewProtocol';
import type { CallOptions } from '../../worker/workerClient';
import { runApply } from '../commands/subcloneCommand';
import { Disposable } from '../dispose';
import { modelFileOf } from '../modelTarget';
import { OVERVIEW_VIEW_TYPE } from '../overview/viewType';
import { reportError } from '../reportError';
import type { Services } from '../services';
import { webviewHtml, webviewResourceRoots } from '../webviewHtml';

/**
 * One importance panel: a report in its webview. Waits for `ready`, reads the report in the worker and posts
 * it once; answers the webview's requests (selection, block scoring, budget search, subclone) through the worker,
 * each cancellable by its request id. Reads again when the report file changes.
 */
export class ImportanceView extends Disposable {
  private ready = false;
  private loads = 0;
  private view: ImportanceViewData | undefined;
  private readonly running = new Map<number, AbortController>();
  private readonly postedEmitter = this.register(new vscode.EventEmitter<ToImportance>());
  /** Fires with every message posted to the webview except `loading` (for tests). */
  readonly onDidPost = this.postedEmitter.event;

  constructor(
    private readonly uri: vscode.Uri,
    private readonly panel: vscode.WebviewPanel,
    private readonly services: Services,
  ) {
    super();
    const webview = panel.webview;
    webview.options = { enableScripts: true, localResourceRoots: webviewResourceRoots(services.extensionUri) };
    webview.html = webviewHtml(webview, services.extensionUri, { title: 'Neuron importance', script: 'importance.js', styles: ['dist/webview/uplot.css', 'media/charts.css', 'media/panel.css', 'media/importance.css'] });
    this.register(webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)));
    const watcher = this.register(vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(uri.fsPath)), path.basename(uri.fsPath))));
    this.register(watcher.onDidChange(() => this.ready && void this.load()));
    this.register(watcher.onDidCreate(() => this.ready && void this.load()));
    this.register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.ready && void this.load()));
    this.register({ dispose: () => this.running.forEach((c) => c.abort()) });
  }

  private onMessage(message: unknown): void {
    if (!isFromImportance(message)) {
      this.services.log.warn(`importance panel: ignored an unknown message ${JSON.stringify(message)}`);
      return;
    }
    this.handle(message);
  }

  private handle(message: FromImportance): void {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        void this.load();
        return;
      case 'reload':
        void this.load();
        return;
      case 'select':
        void this.request(message.requestId, (o) => this.services.worker.call('selectShape', { reportFile: this.file, shape: message.shape, policy: message.policy }, o), (selection) => ({ type: 'selection', requestId: message.requestId, selection }));
        return;
      case 'scoreBlocks':
        void this.request(message.requestId, (o) => this.services.worker.call('scoreBlocks', { reportFile: this.file, shape: message.shape }, o), (search) => ({ type: 'blockScores', requestId: message.requestId, search }));
        return;
      case 'fitBudget':
        void this.request(message.requestId, (o) => this.services.worker.call('fitBudget', { reportFile: this.file, budget: message.budget, candidates: message.candidates }, o), (result) => ({ type: 'budget', requestId: message.requestId, result }));
        return;
      case 'subclone':
        void this.subclone(message.requestId, message.shape, message.policy);
        return;
      case 'cancel':
        this.running.get(message.requestId)?.abort();
        return;
      case 'computeImportance':
        if (this.view?.model) void vscode.commands.executeCommand('subclone.computeImportance', vscode.Uri.file(this.view.model.file));
        return;
      case 'openSubclone': {
        // model.onnx, or the Hugging Face checkpoint's weights when only that was written.
        const onnx = path.join(message.folder, 'model.onnx');
        const model = vscode.Uri.file(fs.existsSync(onnx) ? onnx : modelFileOf(message.folder));
        void (message.how === 'reveal' ? vscode.commands.executeCommand('revealInExplorer', model) : vscode.commands.executeCommand('vscode.openWith', model, OVERVIEW_VIEW_TYPE));
        return;
      }
      default:
        unreachable(message, 'importance panel message');
    }
  }

  private get file(): string {
    return this.uri.fsPath;
  }

  private post(message: ToImportance): void {
    if (this.isDisposed) return;
    void this.panel.webview.postMessage(message);
    if (message.type !== 'loading') this.postedEmitter.fire(message);
  }

  /** Reads the report and posts it; a newer load supersedes an older one still running. */
  private async load(): Promise<void> {
    const load = ++this.loads;
    const fileName = path.basename(this.file);
    const post = (m: ToImportance) => load === this.loads && this.post(m);
    post({ type: 'loading', fileName });
    try {
      const trusted = vscode.workspace.isTrusted;
      const { modelProblem, ...analysis } = await this.services.worker.call('importanceView', { reportFile: this.file, recognize: trusted });
      const reason = !trusted
        ? 'Subcloning and scoring run the model in onnxruntime and write files: trust this workspace to use them.'
        : !analysis.model
          ? `The model this report belongs to (${analysis.report.model.file}) is not found.`
          : modelProblem ?? (analysis.parent ? null : 'The model could not be recognised.');
      this.view = { fileName, path: vscode.workspace.asRelativePath(this.file), ...analysis, actionsEnabled: reason === null, actionsDisabledReason: reason };
      post({ type: 'report', data: this.view });
    } catch (e) {
      this.services.log.error(`importance report ${this.file}`, e);
      post({ type: 'loadError', fileName, code: isSubcloneError(e) ? e.code : 'Runtime', message: errorMessage(e) });
    }
  }

  /** Runs one webview request in the worker with progress and cancellation, and posts its answer or error. */
  private async request<T>(requestId: number, call: (o: CallOptions) => Promise<T>, answer: (value: T) => ToImportance): Promise<void> {
    if (!this.view?.actionsEnabled) {
      // Selections recognise the model in onnxruntime: not in an untrusted workspace, not without the model.
      this.post({ type: 'requestError', requestId, code: 'BadArgument', message: this.view?.actionsDisabledReason ?? 'the report is not loaded yet' });
      return;
    }
    const controller = new AbortController();
    this.running.set(requestId, controller);
    try {
      const value = await call({ signal: controller.signal, onProgress: (fraction, message) => this.post({ type: 'progress', requestId, fraction, message }) });
      this.post(answer(value));
    } catch (e) {
      if (!isSubcloneError(e, 'Cancelled')) this.services.log.error(`importance panel request ${requestId}`, e);
      this.post({ type: 'requestError', requestId, code: isSubcloneError(e) ? e.code : 'Runtime', message: errorMessage(e) });
    } finally {
      this.running.delete(requestId);
    }
  }

  /** Subclone with this shape: apply with this report, progress in a notification and in the panel. */
  private async subclone(requestId: number, shape: TargetShape, policy: PanelBlockPolicy): Promise<void> {
    const view = this.view;
    if (!view?.model || !view.actionsEnabled) {
      this.post({ type: 'requestError', requestId, code: 'BadArgument', message: view?.actionsDisabledReason ?? 'the report is not loaded yet' });
      return;
    }
    const controller = new AbortController();
    this.running.set(requestId, controller);
    const params = { file: view.model.file, shape, data: calibrationData(view.report), report: this.file, blocks: policy };
    try {
      const result = await runApply(this.services, params, undefined, {
        signal: controller.signal,
        onProgress: (fraction, message) => this.post({ type: 'progress', requestId, fraction, message }),
      });
      if (!result) {
        this.post({ type: 'requestError', requestId, code: 'Cancelled', message: 'the existing folder was kept' });
        return;
      }
      const l = result.losses;
      const run: SubcloneRun = {
        folder: result.outDir,
        shape,
        blocks: result.blocks,
        parameters: result.parameters.child,
        createdAt: result.createdAt,
        losses: l && l.parent !== null && l.child !== null && l.randomInit !== null ? { parent: l.parent, child: l.child, randomInit: l.randomInit, metric: l.metric } : null,
      };
      this.post({ type: 'subcloned', requestId, run });
    } catch (e) {
      reportError(this.services.log, 'Subclone with this shape', e);
      this.post({ type: 'requestError', requestId, code: isSubcloneError(e) ? e.code : 'Runtime', message: errorMessage(e) });
    } finally {
      this.running.delete(requestId);
    }
  }
}

/** The data apply calibrates on for a report: its own data, random inputs again, or none (data-free). */
function calibrationData(report: ImportanceReport): string | null {
  const c = report.calibration;
  if (c.source === 'random') return 'random';
  return (c.source === 'text' || c.source === 'images') && c.path ? c.path : null;
}
