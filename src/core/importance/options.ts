import type { CalibrationSource } from '../data/calibrationSource';
import type { ProviderPreference } from '../runtime/executionProvider';

/** Where the scores come from. */
export type CalibrationRequest =
  /** A text file (text models) or a folder of PNG/JPEG images (vision models). */
  | { kind: 'path'; path: string; split?: 'train' | 'validation' }
  /** Random inputs: an explicit fallback, flagged in the report. */
  | { kind: 'random' }
  /** No run: scores from weight magnitudes, flagged in the report. */
  | { kind: 'weights' }
  /** Batches the caller built. */
  | { kind: 'source'; source: CalibrationSource };

/** Progress of an importance run. Calibration reports `done` 0 once its session is ready, then after every batch. */
export interface ImportanceProgress {
  stage: 'data' | 'calibration' | 'weights';
  /** Units done and total: bytes tokenized, batches run, or tensors read. */
  done: number;
  total: number;
  /** Tokens counted so far (calibration). */
  tokens: number;
  message: string;
}

export interface ImportanceOptions {
  data: CalibrationRequest;
  /** Sequences (text) or images; defaults: 64 sequences, 256 images. */
  samples?: number;
  /** Sequences or images per batch; default: about 1024 tokens per batch for text (one sequence at the usual context), 32 images. */
  batchSize?: number;
  /** Tokens per sequence; default: the model's context (else its config.json's, else 1024), at most 2048. */
  sequenceLength?: number;
  /** The k of the layers' top-k overlap; default: half the embedding width. */
  topK?: number;
  provider?: ProviderPreference;
  /** CPU threads for onnxruntime (default: its choice). */
  threads?: number;
  /** Weight bytes above which the model runs in parts one after the other (default PARTS_ABOVE_BYTES). */
  partsAboveBytes?: number;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (p: ImportanceProgress) => void;
  onNotice?: (message: string) => void;
}

/** The defaults, in one place (SPEC §2 default 1). */
export const IMPORTANCE_DEFAULTS = {
  textSamples: 64,
  imageSamples: 256,
  /** Sequence length for models without a position limit in the graph or in config.json. */
  unboundedContext: 1024,
  maxSequence: 2048,
  // Attention memory grows with batch × sequence²: one 1024-token sequence per run costs the 400 MB GPT-2 883 MiB
  // at peak instead of 1606 MiB for four, at the same speed on the CPU.
  batchTokens: 1024,
  imageBatch: 32,
  /** Random images' side when the model's input size is not fixed. */
  randomImageSize: 224,
  seed: 0,
} as const;
