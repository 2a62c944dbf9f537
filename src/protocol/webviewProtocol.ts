/**
 * The messages between the extension host and the model overview webview. Each message has a literal `type`
 * and belongs to one union per direction; both sides switch on `type` with an exhaustiveness check. The webview
 * starts with `ready`; the host posts nothing before it.
 */
import type { ModelSummary } from '../core/onnx/modelSummary';
import type { ValueSpec } from '../core/onnx/valueInfo';
import type { Dims, Family, Flavour, ParameterCounts } from '../core/recognize/transformerMap';

/** A graph input or output (name, element type, dims), as the webview shows it. */
export type { ValueSpec };

/** What recognition found out, as the overview shows it. */
export type Recognition =
  /** A recognised transformer. `unsupported` names a part Subclone cannot handle yet (null: fully supported). */
  | { status: 'recognized'; family: Family; variant: string | null; dims: Dims; flavour: Flavour; parameterCounts: ParameterCounts; warnings: string[]; unsupported: string | null }
  /** A readable model that is not a supported transformer; `reason` says why. */
  | { status: 'unsupported'; reason: string }
  /** Recognition could not run (not available in this build, or the workspace is untrusted); `reason` says why. */
  | { status: 'unavailable'; reason: string };

/** A Hugging Face checkpoint as the overview describes it: what Subclone built its graph from. */
export interface HfCheckpointInfo {
  /** The checkpoint's folder name. */
  folder: string;
  /** The transformers class Subclone built (e.g. LlamaForCausalLM). */
  architecture: string;
  /** config.json's model_type (null when it has none). */
  modelType: string | null;
  /** config.json's path (relative to the workspace). */
  config: string;
  /** The weight files: model.safetensors, or the shards the index lists, with their sizes (null: missing). */
  weights: { name: string; bytes: number | null }[];
  /** model.safetensors.index.json when the weights are sharded, else null. */
  index: string | null;
  /** config.json's torch_dtype (or dtype), when it states one. */
  configDtype: string | null;
  /** Tensors in the weight files that the class does not use (another head's, buffers). */
  unused: string[];
}

/** Everything the overview renders for one model: the model summary, and what the host adds. */
export interface OverviewData extends Omit<ModelSummary, 'file' | 'ops'> {
  /** The file name and its path relative to the workspace (or absolute outside one). */
  fileName: string;
  path: string;
  fileBytes: number;
  /** Operator counts, most frequent first. */
  ops: [op: string, count: number][];
  recognition: Recognition;
  /** The model was made by Subclone (a subclone.json beside it): the overview offers Check Convergence…. */
  subclone: boolean;
  /** For a Hugging Face checkpoint (`format` 'safetensors'): the class, config and weight files; null for ONNX. */
  checkpoint: HfCheckpointInfo | null;
  /** Whether Subclone… and Compute Neuron Importance can run; when not, `actionsDisabledReason` says why. */
  actionsEnabled: boolean;
  actionsDisabledReason: string | null;
}

// ───────────── host → webview ─────────────

/** The host is reading the model (shown as a progress ring). */
export interface LoadingMessage {
  type: 'loading';
  fileName: string;
}

/** The model's overview, sent after `ready` and whenever the file changes. */
export interface ModelMessage {
  type: 'model';
  data: OverviewData;
}

/** The model could not be read at all; `message` says why (code: the SubcloneError code). */
export interface LoadErrorMessage {
  type: 'loadError';
  fileName: string;
  code: string;
  message: string;
}

export type ToOverview = LoadingMessage | ModelMessage | LoadErrorMessage;

// ───────────── webview → host ─────────────

/** The webview's script is running and listening; the host answers with `loading` then `model` or `loadError`. */
export interface ReadyMessage {
  type: 'ready';
}

/** The user pressed "Subclone…". */
export interface SubcloneRequestMessage {
  type: 'subclone';
}

/** The user pressed "Compute Neuron Importance". */
export interface ImportanceRequestMessage {
  type: 'computeImportance';
}

/** The user pressed "Show Neuron Importance". */
export interface ShowImportanceMessage {
  type: 'showImportance';
}

/** The user pressed "Check Convergence…" (the overview of a subclone). */
export interface CheckConvergenceMessage {
  type: 'checkConvergence';
}

/** The user asked to read the model again. */
export interface ReloadMessage {
  type: 'reload';
}

export type FromOverview = ReadyMessage | SubcloneRequestMessage | ImportanceRequestMessage | ShowImportanceMessage | CheckConvergenceMessage | ReloadMessage;

/** The `type` of every webview → host message, for validating what arrives from the webview. */
export const FROM_OVERVIEW_TYPES: readonly FromOverview['type'][] = ['ready', 'subclone', 'computeImportance', 'showImportance', 'checkConvergence', 'reload'];

/** Whether a value received from the webview is one of its messages. */
export function isFromOverview(value: unknown): value is FromOverview {
  return typeof value === 'object' && value !== null && FROM_OVERVIEW_TYPES.includes((value as { type: FromOverview['type'] }).type);
}

/** For exhaustive switches: a compile error when a case is missing, a clear error when one arrives at run time. */
export function unreachable(value: never, what: string): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
