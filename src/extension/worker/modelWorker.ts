import * as vscode from 'vscode';
import { errorMessage } from '../../core/errors';
import type { ProviderPreference } from '../../core/runtime/executionProvider';
import { WorkerClient, type CallOptions } from '../../worker/workerClient';
import type { MethodName, Params, Result } from '../../protocol/workerProtocol';
import { Disposable } from '../dispose';
import type { Log } from '../log';
import { readProviderPreference } from './providerSetting';

/** A notice the worker sent about the execution provider ("Running on CPU: …"). */
export interface ProviderNotice {
  message: string;
}

/**
 * The extension's one model worker thread (dist/worker.js). Every model read, importance run and subclone goes
 * through `call`, so the extension host's event loop only passes messages. Follows the
 * `subclone.executionProvider` setting and logs every call with its duration.
 */
export class ModelWorker extends Disposable {
  private readonly client: WorkerClient;
  private readonly onNoticeEmitter = this.register(new vscode.EventEmitter<ProviderNotice>());
  private readonly onPreferenceEmitter = this.register(new vscode.EventEmitter<ProviderPreference>());
  /** Fires when the worker reports that it runs elsewhere than asked (a CUDA fallback). */
  readonly onNotice = this.onNoticeEmitter.event;
  /** Fires when the execution-provider setting changes. */
  readonly onPreferenceChange = this.onPreferenceEmitter.event;

  constructor(
    workerScript: string,
    private readonly log: Log,
  ) {
    super();
    this.client = new WorkerClient(workerScript, readProviderPreference());
    this.register({ dispose: () => void this.client.dispose() });
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('subclone.executionProvider')) return;
        this.client.provider = readProviderPreference();
        this.log.info(`execution provider preference: ${this.client.provider}`);
        this.onPreferenceEmitter.fire(this.client.provider);
      }),
    );
  }

  get preference(): ProviderPreference {
    return this.client.provider;
  }

  /** Runs a worker method; progress and cancellation as in WorkerClient, notices also go to the log and onNotice. */
  async call<M extends MethodName>(method: M, params: Params<M>, options: CallOptions = {}): Promise<Result<M>> {
    const started = performance.now();
    const label = `${method}${'file' in params ? ` ${String(params.file)}` : ''}`;
    try {
      const result = await this.client.call(method, params, {
        ...options,
        onNotice: (message) => {
          this.log.warn(`${method}: ${message}`);
          this.onNoticeEmitter.fire({ message });
          options.onNotice?.(message);
        },
      });
      this.log.info(`${label}: done in ${((performance.now() - started) / 1000).toFixed(2)} s`);
      return result;
    } catch (e) {
      this.log.info(`${label}: failed after ${((performance.now() - started) / 1000).toFixed(2)} s: ${errorMessage(e)}`);
      throw e;
    }
  }
}
