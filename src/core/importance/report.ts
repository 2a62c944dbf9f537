/**
 * The importance report: what `subclone importance` writes next to the model and what subcloning, the CLI and the
 * extension's panels read. Versioned; the schema is documented in docs/importance-report.md. The keys
 * `embedding.ranking`, `embedding.perLayer`, `ffn`, `heads`, `blocks.relativeMagnitude` and `calibration` are
 * fixed: others rely on them.
 */
import type { Dims, Family } from '../recognize/transformerMap';

export const IMPORTANCE_REPORT_VERSION = 1;

export interface CalibrationInfo {
  /** 'text' and 'images' are real data; 'random' is the explicit fallback; 'weights' is the data-free mode. */
  source: 'text' | 'images' | 'random' | 'weights';
  /** The data file or folder; null for random inputs and data-free scores. */
  path: string | null;
  /** Sequences (text) or images used. */
  samples: number;
  /** Tokens that counted (padding excluded); 0 for data-free. */
  tokens: number;
  sequenceLength: number | null;
  /** True when the scores do not come from real data (random inputs or weights only): UIs must say so. */
  fallback: boolean;
  /** The tokenizer used for text ('bytes' when token id = byte value). */
  tokenizer: string | null;
  seed: number;
}

export interface ImportanceReport {
  version: typeof IMPORTANCE_REPORT_VERSION;
  /** `sha256` of the model file: written by importanceForFile (reports made inside `apply` have none). */
  model: { file: string; family: Family; dims: Dims; sha256?: string };
  calibration: CalibrationInfo;
  embedding: {
    /** Embedding (residual-stream) neuron indices, most important first. */
    ranking: number[];
    /** Global score per neuron: Σ over residual-stream points of the point's scores normalised to sum 1. */
    scores: number[];
    /** Mean |h| per neuron at each residual-stream point: the embedding output first, then after every block. */
    perLayer: number[][];
    agreement: {
      /** Spearman rank correlation between the per-layer rankings ([point][point]). */
      spearman: number[][];
      /** The k used for the top-k overlap. */
      topK: number;
      /** |top-k(i) ∩ top-k(j)| / k ([point][point]). */
      topKOverlap: number[][];
    };
  };
  /** Per block, a score per FFN unit (mean |hidden activation|; gated MLPs: |act(gate)·up|). */
  ffn: number[][];
  /** Per block, a score per query head (mean L2 norm of the head's context vector). */
  heads: number[][];
  /** Per block, a score per KV group (summed scores of its query heads); equal to heads without grouped-query attention. */
  kvGroups: number[][];
  blocks: {
    /** Per block, mean over tokens of ‖f(x)‖ / ‖x + f(x)‖ with f(x) the block's total residual update. */
    relativeMagnitude: number[];
    /** Per block, mean over tokens of 1 − cos(x_in, x_out). */
    oneMinusCos: number[];
  };
  run: { provider: 'cpu' | 'cuda'; seconds: number; createdAt: string };
}
