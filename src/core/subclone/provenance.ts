import type { CalibrationInfo } from '../importance/report';
import type { Dims, Family } from '../recognize/transformerMap';
import type { BudgetResult } from './reportViews';
import type { BlockSearchResult } from './blockSearch';
import type { SubcloneShape } from './shape';
import type { ScaledWeight } from './sliceTensors';

/** subclone.json: where the destination came from, what was kept, with which options, and how good it is. */
export interface Provenance {
  version: 1;
  tool: string;
  createdAt: string;
  parent: { file: string; sha256: string; family: Family; dims: Dims; parameters: number };
  shape: SubcloneShape;
  dims: Dims;
  parameters: number;
  kept: {
    blocks: number[];
    embedding: number[];
    ffn: Record<string, number[]>;
    heads: Record<string, number[]>;
    kvGroups: Record<string, number[]>;
  };
  options: { blockPolicy: string; scale: boolean; data: string | null; seed: number; provider: string };
  importance: {
    report: string | null;
    calibration: CalibrationInfo;
    /** The global ranking's top neurons and the first/last layers' rank agreement, for a glance. */
    topNeurons: number[];
    spearmanFirstLast: number | null;
  };
  blockSelection: { policy: string; method: string | null; candidates: BlockSearchResult['candidates']; metric: string | null };
  /** With a parameter budget (`apply --params`): every shape scored and its loss; the first is the one written. */
  budgetSearch?: BudgetResult | null;
  scaling: ScaledWeight[];
  constantEdits: number;
  /** What the folder holds: model.onnx, and the Hugging Face checkpoint or why it is not there (absent in folders written before it was recorded). */
  output?: { onnx: boolean; hf: { modelType: string } | { notWritten: string } | null };
  verification: {
    metric: string;
    /** 'held-out': the text's last 5%; 'calibration': the calibration batches (image folders). */
    data: 'held-out' | 'calibration';
    parent: number;
    child: number;
    randomInit: number;
    batches: number;
    count: number;
  } | null;
}
