/**
 * What the engine derives from an importance report for someone looking at it: the consistency verdict, outlier
 * neurons, the subclones made from it, what a shape keeps, block searches and budget searches. The engine's own
 * types; src/protocol/importanceProtocol.ts re-exports them for the panel.
 */
import type { ImportanceReport } from '../importance/report';
import type { ConsistencyView } from '../importance/consistency';
import type { OutlierNeuron } from '../importance/outliers';
import type { ShapePreset, TargetShape } from './targetShape';

export type { ConsistencyView, OutlierNeuron };

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

/** What the engine derives from an importance report for a viewer (the panel adds where the file is and whether actions may run). */
export interface ImportanceAnalysis {
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
  /** Whether the report's calibration data can score candidates by loss (data-driven report whose data still exists). */
  lossScoring: { available: boolean; reason: string | null };
}

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
  /**
   * Why this shape (with the blocks its policy keeps) would be written as ONNX only although the model has a
   * Hugging Face layout: the family's config cannot state it (the engine's hfPlan). Null when both formats fit.
   */
  onnxOnly: string | null;
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

