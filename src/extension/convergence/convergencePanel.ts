import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isRunStatus } from '../../core/converge/convergenceFile';
import type { ConvergenceSetup } from '../../core/converge/convergenceSetup';
import { sweepTime } from '../../core/converge/estimate';
import { parseConvergeEvent } from '../../core/converge/progressMessage';
import { autoEvalEvery, plannedRuns, type ConvergeSettings } from '../../core/converge/settings';
import { errorMessage, isSubcloneError, SubcloneError } from '../../core/errors';
import {
  isFromConvergence,
  type ConvergenceFile,
  type EstimateView,
  type FromConvergence,
  type SetupValues,
  type ToConvergence,
} from '../../protocol/convergenceProtocol';
import { unreachable } from '../../protocol/webviewProtocol';
import { Disposable } from '../dispose';
import { isModel } from '../modelTarget';
import { OVERVIEW_VIEW_TYPE } from '../overview/viewType';
import { reportError } from '../reportError';
import type { Services } from '../services';
import { webviewHtml, webviewResourceRoots } from '../webviewHtml';
import { convergenceDefaults, rememberData, type ConvergenceOptions } from './convergenceSettings';

/** What a finished (or cancelled) sweep resolves with. */
export interface SweepOutcome {
  file: string;
  cancelled: boolean;
  content: ConvergenceFile;
}

/**
 * One convergence panel: a child model's Setup, Run and Verdict cells in a webview. Waits for `ready`, reads the
 * child in the worker (recognition, subclone.json, the saved convergence.json) and posts `init`; runs estimates and
 * sweeps in the worker, streaming the sweep's events to the webview; one sweep at a time per child.
 */
export class ConvergencePanel extends Disposable {
  private ready = false;
  private setup: ConvergenceSetup | undefined;
  private sweep: { requestId: number; controller: AbortController; done: Promise<SweepOutcome | undefined> } | undefined;
  private estimating: AbortController | undefined;
  private whenReady: (() => void)[] = [];
  private readonly postedEmitter = this.register(new vscode.EventEmitter<ToConvergence>());
  /** Fires with every message posted to the webview (for tests). */
  readonly onDidPost = this.postedEmitter.event;

  constructor(
    readonly child: string,
    readonly panel: vscode.WebviewPanel,
    private readonly services: Services,
    private options: ConvergenceOptions = {},
  ) {
    super();
    const webview = panel.webview;
    webview.options = { enableScripts: true, localResourceRoots: webviewResourceRoots(services.extensionUri) };
    webview.html = webviewHtml(webview, services.extensionUri, { title: 'Convergence check', script: 'convergence.js', styles: ['dist/webview/uplot.css', 'media/charts.css', 'media/panel.css', 'media/convergence.css'] });
    this.register(webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)));
    this.register(panel.onDidDispose(() => this.dispose()));
    this.register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.ready && void this.load()));
    this.register({ dispose: () => (this.sweep?.controller.abort(), this.estimating?.abort()) });
  }

  /** New options for an open panel (the command was run again): the Setup fields start from them. */
  reopen(options: ConvergenceOptions): void {
    this.options = options;
    if (this.ready && !this.sweep) void this.load();
  }

  /** Runs a sweep with the panel's current Setup as the options give it (the command's `run: true`). */
  async runFromOptions(): Promise<SweepOutcome | undefined> {
    await this.loaded();
    if (!this.setup || this.setup.untrainable) return undefined;
    return this.run(0, this.initialSetup(this.setup));
  }

  /** Cancels the running sweep (keeps the runs that finished); resolves when it has stopped. */
  async cancel(): Promise<SweepOutcome | undefined> {
    const s = this.sweep;
    if (!s) return undefined;
    s.controller.abort();
    return s.done;
  }

  /** Resolves when the first load has ended (read, or failed). */
  private loaded(): Promise<void> {
    if (this.setup) return Promise.resolve();
    return new Promise((resolve) => this.whenReady.push(resolve));
  }

  private onMessage(message: unknown): void {
    if (!isFromConvergence(message)) {
      this.services.log.warn(`convergence panel: ignored an unknown message ${JSON.stringify(message)}`);
      return;
    }
    this.handle(message);
  }

  private handle(message: FromConvergence): void {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        void this.load();
        return;
      case 'pickData':
        void this.pickData();
        return;
      case 'estimate':
        void this.estimate(message.requestId, message.setup);
        return;
      case 'run':
        void this.run(message.requestId, message.setup);
        return;
      case 'cancel':
        if (this.sweep?.requestId === message.requestId) this.sweep.controller.abort();
        if (message.requestId === this.estimateId) this.estimating?.abort();
        return;
      case 'open':
        void this.open(message.path);
        return;
      default:
        unreachable(message, 'convergence panel message');
    }
  }

  private estimateId = 0;
  /** What `steps: null` (auto) stood for in the last estimate, and for which Setup. */
  private lastAutoSteps: { setup: string; steps: number } | undefined;

  private post(message: ToConvergence): void {
    if (this.isDisposed) return;
    void this.panel.webview.postMessage(message);
    this.postedEmitter.fire(message);
  }

  private actionsDisabledReason(): string | null {
    if (!vscode.workspace.isTrusted) return 'Training runs the model in onnxruntime and writes files: trust this workspace to use it.';
    if (!fs.existsSync(this.child)) return `${this.child} no longer exists.`;
    return null;
  }

  private async load(): Promise<void> {
    try {
      if (!vscode.workspace.isTrusted) {
        // Recognition runs the model in onnxruntime: nothing is read in an untrusted workspace.
        const child = { file: this.child, shape: null, parameters: null, parent: null };
        this.post({ type: 'init', child, setup: this.fieldsFrom(null, null), saved: null, untrainable: null, actionsDisabledReason: this.actionsDisabledReason() });
        return;
      }
      const setup = await this.services.worker.call('convergeSetup', { child: this.child });
      this.setup = setup;
      if (setup.savedProblem) this.services.log.warn(`convergence panel: ${setup.savedProblem}`);
      this.post({ type: 'init', child: setup.child, setup: this.initialSetup(setup), saved: setup.saved, untrainable: setup.untrainable, actionsDisabledReason: this.actionsDisabledReason() });
    } catch (e) {
      reportError(this.services.log, 'Check Convergence', e);
      this.post({ type: 'init', child: { file: this.child, shape: null, parameters: null, parent: null }, setup: this.fieldsFrom(null, null), saved: null, untrainable: errorMessage(e), actionsDisabledReason: null });
    } finally {
      this.whenReady.splice(0).forEach((f) => f());
    }
  }

  /** The Setup fields: the command's options, else the saved sweep's settings, else the settings and remembered data. */
  private initialSetup(setup: ConvergenceSetup): SetupValues {
    return this.fieldsFrom(setup.saved?.content ?? null, setup.data);
  }

  private fieldsFrom(saved: ConvergenceFile | null, childData: string | null): SetupValues {
    const d = convergenceDefaults(this.services, this.child);
    const s = saved?.settings;
    const o = this.options;
    return {
      data: o.data ?? saved?.data.path ?? d.data ?? childData,
      steps: o.steps ?? s?.steps ?? d.steps,
      batch: o.batch ?? s?.batch ?? d.batch,
      seq: o.seq ?? s?.seq ?? d.seq,
      evalEvery: o.evalEvery ?? s?.evalEvery ?? null,
      lrs: o.lrs ?? s?.lrs ?? d.lrs,
      randomLrs: o.randomLrs ?? s?.randomLrs ?? d.randomLrs,
    };
  }

  private async pickData(): Promise<void> {
    const picked = await vscode.window.showOpenDialog({
      title: 'Check Convergence: training data (a text file, or an image folder with one subfolder per class)',
      canSelectFiles: true,
      canSelectFolders: true,
      canSelectMany: false,
      defaultUri: vscode.Uri.file(path.dirname(this.child)),
    });
    if (picked?.[0]) this.post({ type: 'dataPicked', path: picked[0].fsPath });
  }

  private async estimate(requestId: number, values: SetupValues): Promise<void> {
    this.estimating?.abort();
    const controller = new AbortController();
    this.estimating = controller;
    this.estimateId = requestId;
    try {
      const e = await this.estimateCall(values, controller.signal);
      this.post({ type: 'estimate', requestId, estimate: e });
    } catch (e) {
      this.postError(requestId, e, 'Check Convergence: estimate');
    } finally {
      if (this.estimating === controller) this.estimating = undefined;
    }
  }

  private async estimateCall(values: SetupValues, signal: AbortSignal): Promise<EstimateView> {
    const data = this.requireData(values);
    const r = await this.services.worker.call('convergeEstimate', { child: this.child, data, settings: settingsOf(values, null) }, { signal });
    this.lastAutoSteps = { setup: autoStepsKey(values), steps: r.defaultSteps };
    const steps = values.steps ?? r.defaultSteps;
    const evalEvery = values.evalEvery ?? autoEvalEvery(steps);
    const time = sweepTime(r, { steps, evalEvery, batch: values.batch, seq: values.seq }, r.runs);
    return {
      setup: { ...values, data, steps, evalEvery },
      runs: r.runs,
      parallel: r.parallel,
      stepSeconds: r.stepSeconds,
      runSeconds: time.runSeconds,
      sweepSeconds: time.sweepSeconds,
      defaultSteps: r.defaultSteps,
      tokensPerStep: r.itemsPerStep,
    };
  }

  /**
   * The steps auto stands for: the ones the Setup cell's estimate showed for this Setup (so the run trains what was
   * announced, without timing the child again), else a fresh estimate's.
   */
  private async autoSteps(values: SetupValues, signal: AbortSignal): Promise<number> {
    const known = this.lastAutoSteps;
    if (known && known.setup === autoStepsKey(values)) return known.steps;
    return (await this.estimateCall(values, signal)).defaultSteps;
  }

  private requireData(values: SetupValues): string {
    if (!values.data) throw new SubcloneError('MissingData', 'choose the training data first (a text file, or an image folder)');
    if (!fs.existsSync(values.data)) throw new SubcloneError('MissingData', `the training data ${values.data} does not exist`);
    return values.data;
  }

  /** One sweep: asks before replacing saved results, streams the events, posts the file at the end. */
  private async run(requestId: number, values: SetupValues): Promise<SweepOutcome | undefined> {
    if (this.sweep) {
      const m = `a convergence check of ${path.basename(this.child)} is already running; cancel it first`;
      this.post({ type: 'requestError', requestId, code: 'Busy', message: m });
      void vscode.window.showWarningMessage(`Check Convergence: ${m}.`);
      return undefined;
    }
    const reason = this.actionsDisabledReason();
    if (reason) {
      this.post({ type: 'requestError', requestId, code: 'BadArgument', message: reason });
      return undefined;
    }
    const controller = new AbortController();
    let finish!: (o: SweepOutcome | undefined) => void;
    this.sweep = { requestId, controller, done: new Promise((r) => (finish = r)) };
    let outcome: SweepOutcome | undefined;
    try {
      outcome = await this.sweepIn(requestId, values, controller.signal);
      return outcome;
    } catch (e) {
      this.postError(requestId, e, 'Check Convergence');
      return undefined;
    } finally {
      this.sweep = undefined;
      finish(outcome);
    }
  }

  private async sweepIn(requestId: number, values: SetupValues, signal: AbortSignal): Promise<SweepOutcome | undefined> {
    const data = this.requireData(values);
    const saved = this.setup?.saved ?? null;
    const outFile = saved?.file ?? path.join(path.dirname(this.child), 'convergence', 'convergence.json');
    if (fs.existsSync(outFile) && !this.options.overwrite) {
      const when = saved ? ` from ${new Date(saved.content.createdAt).toLocaleString()}` : '';
      const choice = await vscode.window.showWarningMessage(`Replace the convergence results${when} in ${vscode.workspace.asRelativePath(path.dirname(outFile))}?`, { modal: true }, 'Replace');
      if (choice !== 'Replace') {
        this.post({ type: 'requestError', requestId, code: 'Cancelled', message: 'the saved results were kept' });
        return undefined;
      }
    }
    const steps = values.steps ?? (await this.autoSteps(values, signal));
    const settings = settingsOf(values, steps);
    const evalEvery = values.evalEvery ?? autoEvalEvery(steps);
    const planned = plannedRuns(settings as Pick<ConvergeSettings, 'lrs' | 'randomLrs'>).map((r) => ({ ...r, steps }));
    this.post({ type: 'plan', requestId, runs: planned, evalEvery });
    rememberData(this.services, this.child, data);
    const title = `Check Convergence: ${path.basename(path.dirname(this.child))}/${path.basename(this.child)}`;
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title }, () =>
      this.services.worker.call('converge', { child: this.child, data, overwrite: true, settings }, {
        signal,
        onProgress: (fraction, message) => {
          const e = parseConvergeEvent(message);
          if (e?.kind === 'status' && isRunStatus(e.status)) {
            // A status line for a run past the plan announces a run the sweep added (widened past an edge).
            if (e.run === planned.length) {
              planned.push({ init: e.init, lr: e.lr, steps });
              this.post({ type: 'runAdded', requestId, run: e.run, planned: planned[e.run] });
            }
            this.post({ type: 'runStatus', requestId, run: e.run, status: e.status });
          }
          else if (e?.kind === 'point') this.post({ type: 'point', requestId, run: e.run, point: e.point, fraction: fraction ?? null });
        },
      }),
    );
    this.post({ type: 'finished', requestId, file: result.file, cancelled: result.cancelled, content: result.content });
    if (this.setup) this.setup = { ...this.setup, saved: { file: result.file, content: result.content } };
    this.services.log.info(`convergence ${this.child}: ${result.content.verdict.sentence}`);
    return { file: result.file, cancelled: result.cancelled, content: result.content };
  }

  private postError(requestId: number, e: unknown, action: string): void {
    if (!isSubcloneError(e, 'Cancelled')) this.services.log.error(`${action} (${this.child})`, e);
    this.post({ type: 'requestError', requestId, code: isSubcloneError(e) ? e.code : 'Runtime', message: errorMessage(e) });
  }

  private async open(file: string): Promise<void> {
    const uri = vscode.Uri.file(file);
    if (isModel(uri)) await vscode.commands.executeCommand('vscode.openWith', uri, OVERVIEW_VIEW_TYPE);
    else await vscode.commands.executeCommand('vscode.open', uri);
  }
}

/** The Setup without its steps: what the auto steps depend on. */
function autoStepsKey(values: SetupValues): string {
  return JSON.stringify({ ...values, steps: null });
}

/** The engine's settings for a Setup: only what the user set; the rest are the engine's defaults. */
function settingsOf(v: SetupValues, steps: number | null): Partial<ConvergeSettings> {
  return {
    ...(steps !== null ? { steps } : v.steps !== null ? { steps: v.steps } : {}),
    batch: v.batch,
    seq: v.seq,
    ...(v.evalEvery !== null ? { evalEvery: v.evalEvery } : {}),
    lrs: v.lrs,
    randomLrs: v.randomLrs,
  };
}
