import type * as ort from 'onnxruntime-node';

/** One training or evaluation batch at the training graph's static shape. */
export interface Batch {
  /** Values for the model's real inputs (ids, masks, token types, positions, pixels). */
  inputs: Record<string, ort.Tensor>;
  /** loss/targets: int64 class or token ids [...], or float32 targets for MSE. */
  targets: ort.Tensor;
  /** loss/weights: float32 [...], summing to 1 over what counts (so the loss is a mean). */
  weights: ort.Tensor;
  /** Tokens (or samples) the batch trains on, for throughput. */
  tokens: number;
}

/** Where batches come from: a deterministic training stream and a fixed held-out set. */
export interface BatchSource {
  /** The static shape every batch has, as [batch, sequence] (sequence 0 for non-sequence inputs). */
  readonly shape: [number, number];
  /** The training batch of a 0-based step (a pure function of the step and the source's seed). */
  train(step: number): Batch;
  /** The held-out batches, the same on every call. */
  validation(): Batch[];
}
