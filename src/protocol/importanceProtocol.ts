/**
 * The messages between the extension host and the neuron-importance panel (a custom editor on
 * `*.importance.json`). One union per direction, each message with a literal `type`; both sides switch on `type`
 * with an exhaustiveness check. The webview starts with `ready`; the host then sends the report once (`report`).
 * Hovering, sorting and zooming never leave the webview; a shape change asks the engine (`select`) because which
 * units a shape keeps is the engine's decision, never recomputed in the webview.
 */
import type { ImportanceReport } from '../core/importance/report';
import type { TargetShape } from './shapes';

export type { ImportanceReport };

export type { PanelBlockPolicy, BlockCandidate, BlockSearchView, ConsistencyView, OutlierNeuron, SubcloneRun, SelectionView, BudgetCandidate, BudgetResult, Budget, ImportanceAnalysis } from '../core/subclone/reportViews';
import type { PanelBlockPolicy, BlockSearchView, SubcloneRun, SelectionView, BudgetResult, Budget, ImportanceAnalysis } from '../core/subclone/reportViews';

/** Everything the panel renders that does not change while it is open: the report and what the host adds. */
export interface ImportanceViewData extends ImportanceAnalysis {
  /** The report file's name and its path relative to the workspace. */
  fileName: string;
  path: string;
  /** Whether Subclone with this shape / Fit a budget / Score candidates can run; when not, `actionsDisabledReason` says why. */
  actionsEnabled: boolean;
  actionsDisabledReason: string | null;
}

// ───────────── host → webview ─────────────

/** The host is reading the report (shown as a progress ring). */
export interface LoadingMessage {
  type: 'loading';
  fileName: string;
}

/** The report and everything derived from it; sent once after `ready` (and again when the file changes). */
export interface ReportMessage {
  type: 'report';
  data: ImportanceViewData;
}

/** The report could not be read; `message` says why (code: the SubcloneError code). */
export interface LoadErrorMessage {
  type: 'loadError';
  fileName: string;
  code: string;
  message: string;
}

/** The engine's answer to `select` (same `requestId`); stale answers are dropped by the webview. */
export interface SelectionMessage {
  type: 'selection';
  requestId: number;
  selection: SelectionView;
}

/** Progress of a long request (`scoreBlocks`, `fitBudget`, `subclone`); fraction in 0–1 or undefined. */
export interface ProgressMessage {
  type: 'progress';
  requestId: number;
  fraction: number | undefined;
  message: string;
}

/** The loss-guided search for a shape finished; a fresh `selection` for the same shape follows. */
export interface BlockScoresMessage {
  type: 'blockScores';
  requestId: number;
  search: BlockSearchView;
}

/** The budget search finished. */
export interface BudgetMessage {
  type: 'budget';
  requestId: number;
  result: BudgetResult;
}

/** A subclone written from the panel (Subclone with this shape). */
export interface SubclonedMessage {
  type: 'subcloned';
  requestId: number;
  run: SubcloneRun;
}

/** A request failed or was cancelled (`code` 'Cancelled'); `message` says why. */
export interface RequestErrorMessage {
  type: 'requestError';
  requestId: number;
  code: string;
  message: string;
}

export type ToImportance =
  | LoadingMessage
  | ReportMessage
  | LoadErrorMessage
  | SelectionMessage
  | ProgressMessage
  | BlockScoresMessage
  | BudgetMessage
  | SubclonedMessage
  | RequestErrorMessage;

// ───────────── webview → host ─────────────

/** The webview's script is running; the host answers with `loading` then `report` or `loadError`. */
export interface ReadyMessage {
  type: 'ready';
}

/** Check a shape and ask what it keeps under a block policy; answered by `selection` or `requestError`. */
export interface SelectMessage {
  type: 'select';
  requestId: number;
  shape: TargetShape;
  policy: PanelBlockPolicy;
}

/** Run the loss-guided block search for a shape (progress, cancellable); answered by `blockScores`. */
export interface ScoreBlocksMessage {
  type: 'scoreBlocks';
  requestId: number;
  shape: TargetShape;
}

/** Search the shapes that fit a parameter budget (progress, cancellable); answered by `budget`. */
export interface FitBudgetMessage {
  type: 'fitBudget';
  requestId: number;
  budget: Budget;
  /** How many candidates to score by loss (default 6). */
  candidates: number;
}

/** Subclone the model to this shape with this report; progress in a notification and here, answered by `subcloned`. */
export interface SubcloneMessage {
  type: 'subclone';
  requestId: number;
  shape: TargetShape;
  policy: PanelBlockPolicy;
}

/** Cancel a running request. */
export interface CancelMessage {
  type: 'cancel';
  requestId: number;
}

/** Run Compute Neuron Importance on real data for this report's model (the fallback banner's button). */
export interface ComputeImportanceMessage {
  type: 'computeImportance';
}

/** Reveal a subclone folder in the explorer, or open its model overview. */
export interface OpenSubcloneMessage {
  type: 'openSubclone';
  folder: string;
  how: 'reveal' | 'overview';
}

/** Read the report again. */
export interface ReloadMessage {
  type: 'reload';
}

export type FromImportance =
  | ReadyMessage
  | SelectMessage
  | ScoreBlocksMessage
  | FitBudgetMessage
  | SubcloneMessage
  | CancelMessage
  | ComputeImportanceMessage
  | OpenSubcloneMessage
  | ReloadMessage;

/** The `type` of every webview → host message, for validating what arrives from the webview. */
export const FROM_IMPORTANCE_TYPES: readonly FromImportance['type'][] = [
  'ready',
  'select',
  'scoreBlocks',
  'fitBudget',
  'subclone',
  'cancel',
  'computeImportance',
  'openSubclone',
  'reload',
];

/** Whether a value received from the webview is one of its messages. */
export function isFromImportance(value: unknown): value is FromImportance {
  return typeof value === 'object' && value !== null && FROM_IMPORTANCE_TYPES.includes((value as { type: FromImportance['type'] }).type);
}
