/**
 * The messages between the extension host and the neuron-importance panel (a custom editor on
 * `*.importance.json`). One union per direction, each message with a literal `type`; both sides switch on `type`
 * with an exhaustiveness check. The webview starts with `ready`; the host then sends the report once (`report`).
 * Hovering, sorting and zooming never leave the webview; a shape change asks the engine (`select`) because which
 * units a shape keeps is the engine's decision, never recomputed in the webview.
 */
import type { ImportanceReport } from '../core/importance/report';
import type { ShapePreset, TargetShape } from './shapes';

export type { ImportanceReport };

/** How the blocks of a destination are chosen (the engine's BlockPolicy without explicit lists). */
export type PanelBlockPolicy = 'loss' | 'magnitude' | 'first' | 'middle';

/** One scored block subset: the calibration loss of the subclone that keeps exactly these blocks. */
export interface BlockCandidate {
  blocks: number[];
  loss: number;
}

/** A loss-guided block search for one shape: every candidate with its loss, and the winner. */
export interface BlockSearchView {
  shape: TargetShape;
  chosen: number[];
  method: 'exhaustive' | 'greedy';
  /** E.g. "next-token cross-entropy (nats/token)". */
  metric: string;
  candidates: BlockCandidate[];
  /** Where the figures come from: this panel's own search, or a subclone.json written by `apply` with this report. */
  source: { kind: 'search' } | { kind: 'subclone'; folder: string };
}

/** The paper's consistency claim tested on this report, in one sentence computed from the data. */
export interface ConsistencyView {
  /** E.g. "One ranking fits neighbouring blocks 0–3 (ρ 0.79–0.81 between neighbours); blocks 4–5 rank differently (ρ 0.65, 0.56)…". */
  sentence: string;
  /** The threshold on neighbour ρ the sentence uses. */
  threshold: number;
  /** Maximal runs of consecutive blocks whose neighbours all reach the threshold (single blocks included). */
  runs: { first: number; last: number }[];
  /** ρ between block b and block b + 1 (length L − 1), for the chart. */
  neighbourRho: number[];
}

/** A neuron far above the rest of its layer (the paper's "a few neurons dominate"). */
export interface OutlierNeuron {
  neuron: number;
  /** Global rank (0 = most important). */
  rank: number;
  /** Global score share (0–1). */
  share: number;
  /** The largest per-layer score ÷ that layer's median, over residual-stream points. */
  ratioToMedian: number;
  /** The point where that ratio is largest (0 = embedding output, b + 1 = after block b). */
  point: number;
}

/** A subclone written by `apply` from this report (found beside the model). */
export interface SubcloneRun {
  folder: string;
  shape: TargetShape;
  blocks: number[];
  parameters: number;
  createdAt: string;
  /** Held-out losses, when verified. */
  losses: { parent: number; child: number; randomInit: number; metric: string } | null;
}

/** Everything the panel renders that does not change while it is open: the report and what the host adds. */
export interface ImportanceViewData {
  /** The report file's name and its path relative to the workspace. */
  fileName: string;
  path: string;
  report: ImportanceReport;
  /** The model the report belongs to; null when it is not found (the picker and actions are then disabled). */
  model: { file: string; name: string; sha256: string | null } | null;
  /** The parent's shape and parameter count (from recognition); null without a model. */
  parent: { shape: TargetShape; parameters: number } | null;
  /** The Subclone… presets for this model. */
  presets: ShapePreset[];
  consistency: ConsistencyView;
  /** Outlier neurons, most extreme first (at most 16). */
  outliers: OutlierNeuron[];
  subcloneRuns: SubcloneRun[];
  /** Whether Subclone with this shape / Fit a budget / Score candidates can run; when not, `actionsDisabledReason` says why. */
  actionsEnabled: boolean;
  actionsDisabledReason: string | null;
  /** Whether the report's calibration data can score candidates by loss (data-driven report whose data still exists). */
  lossScoring: { available: boolean; reason: string | null };
}

/** What the worker computes for the panel; the host adds where the file is and whether actions may run. */
export type ImportanceAnalysis = Omit<ImportanceViewData, 'fileName' | 'path' | 'actionsEnabled' | 'actionsDisabledReason'>;

/** What the engine says a shape keeps: the highlight sets of every view. */
export interface SelectionView {
  shape: TargetShape;
  policy: PanelBlockPolicy;
  ok: boolean;
  /** The engine's message when the shape is not valid (the same words as Subclone… → Custom…). */
  message: string | null;
  /** Unique parameters of the destination, and of the parent. */
  parameters: number | null;
  parentParameters: number;
  /**
   * The kept blocks under `policy`; null when the policy is loss-guided and this shape has not been scored yet
   * (then `scoreCount` says how many candidates scoring would evaluate).
   */
  blocks: number[] | null;
  scoreCount: number;
  /** What the other policies would keep at this depth (null: not available, e.g. magnitude without data). */
  policies: Record<PanelBlockPolicy, number[] | null>;
  /** The loss-guided search for this shape when known. */
  search: BlockSearchView | null;
  /** Kept units (indices into the parent's), per parent block for FFN / heads / KV groups: every block, kept or not. */
  kept: {
    embedding: number[];
    ffn: number[][];
    heads: number[][];
    kvGroups: number[][];
  } | null;
  /** Share (0–1) of importance the kept units hold: embedding (global score), and per parent block for FFN and heads. */
  shares: { embedding: number; ffn: number[]; heads: number[] } | null;
}

/** A shape the budget search found, scored by calibration loss with loss-guided blocks. */
export interface BudgetCandidate {
  shape: TargetShape;
  parameters: number;
  /** Fraction of the parent's parameters. */
  fraction: number;
  blocks: number[];
  loss: number;
}

export interface BudgetResult {
  /** The parameter budget in parameters. */
  budget: number;
  metric: string;
  /** Valid uniform shapes that fit the budget, and how many were scored by loss. */
  enumerated: number;
  scored: number;
  /** Scored candidates, lowest loss first. */
  candidates: BudgetCandidate[];
}

/** A parameter budget: a count, or a percentage of the parent. */
export type Budget = { parameters: number } | { percent: number };

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
