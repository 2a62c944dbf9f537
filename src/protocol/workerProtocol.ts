/**
 * The protocol between a host (the extension, or any Node caller) and the model worker thread. Every heavy call
 * is a request with an id; the worker answers with progress events, notices, and one result or error.
 * `WorkerMethods` maps each method to its parameters and result: adding a method is adding one entry here and
 * one handler in src/worker/handlers.ts.
 */
import type { ModelSummary } from '../core/onnx/modelSummary';

export interface WorkerMethods {
  /** Reads a model and summarises it. */
  summarize: { params: { file: string }; result: ModelSummary };
}

export type MethodName = keyof WorkerMethods;
export type Params<M extends MethodName> = WorkerMethods[M]['params'];
export type Result<M extends MethodName> = WorkerMethods[M]['result'];

/** Host → worker. */
export type ToWorker =
  | { type: 'call'; id: number; method: MethodName; params: unknown; provider: 'auto' | 'cuda' | 'cpu' }
  | { type: 'cancel'; id: number };

/** Worker → host. */
export type FromWorker =
  | { type: 'progress'; id: number; fraction: number | undefined; message: string }
  | { type: 'notice'; id: number; message: string }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; code: string; message: string };
