import { Worker } from 'node:worker_threads';
import { SubcloneError, type ErrorCode } from '../core/errors';
import type { FromWorker, MethodName, Params, Result, ToWorker } from '../protocol/workerProtocol';
import type { ProviderPreference } from '../core/runtime/executionProvider';

export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (fraction: number | undefined, message: string) => void;
  onNotice?: (message: string) => void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(e: unknown): void;
  options: CallOptions;
  cleanup(): void;
}

/**
 * Runs core work in a worker thread so the caller's event loop stays free. Calls are typed by WorkerMethods;
 * cancelling a call's AbortSignal asks the worker to stop it. The worker starts on first use.
 */
export class WorkerClient {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly workerScript: string,
    public provider: ProviderPreference = 'auto',
  ) {}

  call<M extends MethodName>(method: M, params: Params<M>, options: CallOptions = {}): Promise<Result<M>> {
    if (options.signal?.aborted) return Promise.reject(new SubcloneError('Cancelled', 'cancelled'));
    const worker = this.ensureWorker();
    worker.ref(); // keep the process alive while a call is pending
    const id = this.nextId++;
    return new Promise<Result<M>>((resolve, reject) => {
      const onAbort = () => worker.postMessage({ type: 'cancel', id } satisfies ToWorker);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        options,
        cleanup: () => {
          options.signal?.removeEventListener('abort', onAbort);
          if (this.pending.size === 0) this.worker?.unref();
        },
      });
      worker.postMessage({ type: 'call', id, method, params, provider: this.provider } satisfies ToWorker);
    });
  }

  /** Stops the worker; pending calls fail with Cancelled. */
  async dispose(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.failAll(new SubcloneError('Cancelled', 'the worker was stopped'));
    if (w) await w.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.workerScript);
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    worker.on('error', (e) => {
      this.worker = undefined;
      this.failAll(new SubcloneError('Runtime', `the model worker crashed: ${e.message}`));
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.failAll(new SubcloneError('Runtime', `the model worker exited (code ${code})`));
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private onMessage(m: FromWorker): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    switch (m.type) {
      case 'progress':
        p.options.onProgress?.(m.fraction, m.message);
        return;
      case 'notice':
        p.options.onNotice?.(m.message);
        return;
      case 'result':
        this.pending.delete(m.id);
        p.cleanup();
        p.resolve(m.value);
        return;
      case 'error':
        this.pending.delete(m.id);
        p.cleanup();
        p.reject(new SubcloneError(m.code as ErrorCode, m.message));
        return;
      default: {
        const never: never = m;
        throw new Error(`unexpected worker message ${JSON.stringify(never)}`);
      }
    }
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) {
      p.cleanup();
      p.reject(e);
    }
    this.pending.clear();
  }
}
