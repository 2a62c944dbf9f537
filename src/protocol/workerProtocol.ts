/**
 * The protocol between a host (the extension, or any Node caller) and the model worker thread. Every heavy call
 * is a request with an id; the worker answers with progress events, notices, and one result or error.
 * `WorkerMethods` maps each method to its parameters and result: adding a method is adding one entry here and
 * one handler in src/worker/handlers.ts.
 */
import type { ModelSummary } from '../core/onnx/modelSummary';
import type { TransformerMap } from '../core/recognize/transformerMap';
import type { Provider, ProviderPreference } from '../core/runtime/executionProvider';
import type { ShapePreset, TargetShape } from './shapes';
import type { TrainingRequest, TrainingRunResult } from '../core/train/trainOnData';

export interface WorkerMethods {
  /** Reads a model and summarises it. */
  summarize: { params: { file: string }; result: ModelSummary };
  /**
   * Reads and recognises a model. `map` is null when the model is not a supported transformer; `unsupported` then
   * says why in words.
   */
  inspect: { params: { file: string }; result: { summary: ModelSummary; map: TransformerMap | null; unsupported: string | null } };
  /** The destination shapes offered for this model (half depth, half width, half both, about a quarter). */
  shapePresets: { params: { file: string }; result: ShapePreset[] };
  /** Checks a destination shape against the model's constraints; `message` says what is wrong when not ok. */
  validateShape: { params: { file: string; shape: TargetShape }; result: { ok: boolean; message: string | null; parameters: number | null } };
  /** Computes neuron importance on calibration data (null: data-free) and writes its report (`reportFile`). */
  importance: { params: { file: string; data: string | null; samples?: number }; result: { reportFile: string; summary: string } };
  /** Subclones the model to a shape and writes the child folder. */
  apply: {
    params: { file: string; shape: TargetShape; data: string | null; outDir?: string; overwrite?: boolean };
    result: {
      outDir: string;
      modelFile: string;
      parameters: { parent: number; child: number };
      losses: { parent: number | null; child: number | null; randomInit: number | null } | null;
    };
  };
  /** Trains on a text file or image folder; progress messages are `step=… loss=… lr=… tok/s=… [val=…]` (parseTrainProgress). */
  train: { params: TrainingRequest; result: TrainingRunResult };
  /** The execution provider a session would use now for the call's preference, and why not CUDA when not. */
  executionProvider: { params: Record<string, never>; result: { preference: ProviderPreference; provider: Provider; reason: string | null } };
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
