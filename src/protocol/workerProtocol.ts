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
import type { ConvergeRequest } from '../core/converge/runConvergence';
import type { ConvergenceFile } from '../core/converge/convergenceFile';
import type { SweepEstimate } from '../core/converge/estimate';
import type { ConvergenceSetup } from '../core/converge/convergenceSetup';
import type { BlockSearchView, Budget, BudgetResult, ImportanceAnalysis, PanelBlockPolicy, SelectionView } from './importanceProtocol';

/** What apply writes: model.onnx, the Hugging Face checkpoint (model.safetensors + config.json), or both. */
export type OutputFormat = 'both' | 'onnx' | 'hf';

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
  /**
   * Whether each shape can be written as a Hugging Face checkpoint of the model's family (the engine's hfPlan, with the
   * config.json beside the model): `shapes[i]` is why shape i cannot (null: it can), `model` why none of this model's
   * shapes can (its own shape cannot: no config.json, a family or head with no HF layout; null otherwise).
   */
  hfPlan: { params: { file: string; shapes: TargetShape[] }; result: { model: string | null; shapes: (string | null)[] } };
  /** Checks a destination shape against the model's constraints; `message` says what is wrong when not ok. */
  validateShape: { params: { file: string; shape: TargetShape }; result: { ok: boolean; message: string | null; parameters: number | null } };
  /** Computes neuron importance on calibration data (null: data-free) and writes its report (`reportFile`). */
  importance: { params: { file: string; data: string | null; samples?: number }; result: { reportFile: string; summary: string } };
  /**
   * Subclones the model to a shape and writes the child folder. With `report`, selects from that importance
   * report (and reuses a loss-guided block search the panel already ran for this shape).
   */
  apply: {
    params: { file: string; shape: TargetShape; data: string | null; outDir?: string; overwrite?: boolean; report?: string; blocks?: PanelBlockPolicy; format?: OutputFormat };
    result: {
      outDir: string;
      modelFile: string;
      /** The parent blocks kept, in order. */
      blocks: number[];
      parameters: { parent: number; child: number };
      losses: { parent: number | null; child: number | null; randomInit: number | null; metric: string } | null;
      createdAt: string;
      /**
       * What the folder holds: model.onnx or not; the Hugging Face checkpoint's model type and its weights file
       * (model.safetensors, or the shard index), or null with `hfNotWritten` saying why (null when not asked for).
       */
      written: { onnx: boolean; hf: { modelType: string; file: string } | null; hfNotWritten: string | null };
    };
  };
  /**
   * Reads an importance report and derives what its panel shows. With `recognize` (a trusted workspace), the
   * model is recognised for the parent's shape and presets; `modelProblem` says why there is no model to act on.
   */
  importanceView: { params: { reportFile: string; recognize: boolean }; result: ImportanceAnalysis & { modelProblem: string | null } };
  /** What a shape keeps under a block policy, from the report (the engine's selection and shape check). */
  selectShape: { params: { reportFile: string; shape: TargetShape; policy: PanelBlockPolicy }; result: SelectionView };
  /** Runs the loss-guided block search for a shape on the report's calibration data (remembered for selectShape and apply). */
  scoreBlocks: { params: { reportFile: string; shape: TargetShape }; result: BlockSearchView };
  /** Searches the uniform shapes that fit a parameter budget and scores the most promising by calibration loss. */
  fitBudget: { params: { reportFile: string; budget: Budget; candidates?: number }; result: BudgetResult };
  /** Trains on a text file or image folder; progress messages are `step=… loss=… lr=… tok/s=… [val=…]` (parseTrainProgress). */
  train: { params: TrainingRequest; result: TrainingRunResult };
  /**
   * The convergence check: trains the child and a random init at each learning rate of the two sweeps and writes
   * convergence.json. Progress messages are `converge run=… status=…` and `converge run=… step=… val=…` lines
   * (parseConvergeEvent); a cancelled sweep resolves with `cancelled` and the verdict over the runs that finished.
   */
  converge: { params: ConvergeRequest; result: { file: string; cancelled: boolean; content: ConvergenceFile } };
  /** What the convergence panel's Setup starts from: the child and its parent, whether it can train, the saved sweep. */
  convergeSetup: { params: { child: string }; result: ConvergenceSetup };
  /** Times a few steps of the child and estimates a sweep's wall time; `defaultSteps` fits about two minutes. */
  convergeEstimate: { params: Omit<ConvergeRequest, 'outDir' | 'overwrite'>; result: SweepEstimate & { defaultSteps: number } };
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
