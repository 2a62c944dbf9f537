/**
 * What the panel shows: the host's data, the engine's latest selection, the long requests in flight and the small
 * UI state that survives a reload (vscode.setState). The report itself always comes from the host.
 */
import type {
  BlockSearchView,
  BudgetResult,
  ImportanceViewData,
  PanelBlockPolicy,
  SelectionView,
  SubcloneRun,
} from '../../src/protocol/importanceProtocol';
import type { TargetShape } from '../../src/protocol/shapes';

export type ColumnOrder = 'index' | 'rank';

/** The part of the state kept across reloads (vscode.getState), for one report path. */
export interface UiState {
  path: string | null;
  shape: TargetShape | null;
  policy: PanelBlockPolicy | null;
  embeddingOrder: ColumnOrder;
  ffnOrder: ColumnOrder;
  budgetText: string;
  budgetCandidates: number;
}

export interface Job {
  requestId: number;
  progress: { fraction: number | undefined; message: string } | null;
}

/** A long request (score, budget, subclone): what runs, what it gave, what went wrong. */
export interface JobState<T> {
  job: Job | null;
  result: T | null;
  error: string | null;
}

export interface PanelState {
  data: ImportanceViewData;
  ui: UiState;
  /** The engine's answer for ui.shape / ui.policy (null until the first answer). */
  selection: SelectionView | null;
  /** A select is in flight (the shown selection may be for an earlier shape). */
  selecting: boolean;
  /** The shape typed is not a number the engine can check (e.g. an empty box). */
  inputError: string | null;
  selectError: string | null;
  scoring: JobState<BlockSearchView>;
  budget: JobState<BudgetResult>;
  subclone: JobState<SubcloneRun>;
  /** Bumped on theme and size changes, so charts redraw. */
  paintVersion: number;
}

export const DEFAULT_UI: UiState = {
  path: null,
  shape: null,
  policy: null,
  embeddingOrder: 'index',
  ffnOrder: 'rank',
  budgetText: '',
  budgetCandidates: 6,
};

/** The saved UI state when it belongs to this report, with the shape and policy filled in sensibly. */
export function initialUi(saved: unknown, data: ImportanceViewData): UiState {
  // Thousands of neurons in index order are a uniform blur of half-dimmed columns: large models start by rank.
  const embeddingOrder: ColumnOrder = data.report.embedding.scores.length > 1024 ? 'rank' : 'index';
  const s = isUi(saved) && saved.path === data.path ? saved : { ...DEFAULT_UI, embeddingOrder, budgetText: isUi(saved) ? saved.budgetText : '' };
  const shape = s.shape && data.parent && fitsParent(s.shape, data.parent.shape) ? s.shape : defaultShape(data);
  const policy = s.policy && policyUsable(s.policy, data) ? s.policy : defaultPolicy(data);
  return { ...DEFAULT_UI, ...s, path: data.path, shape, policy };
}

/** Loss-guided when the report's data can score candidates, else the paper's magnitude rule, else first-l. */
export function defaultPolicy(data: ImportanceViewData): PanelBlockPolicy {
  if (data.lossScoring.available) return 'loss';
  return data.report.blocks.relativeMagnitude.length ? 'magnitude' : 'first';
}

export function policyUsable(policy: PanelBlockPolicy, data: ImportanceViewData): boolean {
  if (policy === 'loss') return data.lossScoring.available;
  if (policy === 'magnitude') return data.report.blocks.relativeMagnitude.length > 0;
  return true;
}

/** Half depth and width when the model offers it (the README's example), else the first preset, else the parent. */
function defaultShape(data: ImportanceViewData): TargetShape | null {
  const preset = data.presets.find((p) => p.id === 'half-both') ?? data.presets[0];
  return preset?.shape ?? data.parent?.shape ?? null;
}

function fitsParent(shape: TargetShape, parent: TargetShape): boolean {
  return shape.layers <= parent.layers && shape.dModel <= parent.dModel && shape.heads <= parent.heads && shape.ffn <= parent.ffn;
}

function isUi(v: unknown): v is UiState {
  return typeof v === 'object' && v !== null && 'embeddingOrder' in v && 'budgetText' in v;
}

export function emptyJob<T>(): JobState<T> {
  return { job: null, result: null, error: null };
}

export function sameShape(a: TargetShape, b: TargetShape): boolean {
  return a.layers === b.layers && a.dModel === b.dModel && a.heads === b.heads && a.kvHeads === b.kvHeads && a.ffn === b.ffn;
}
