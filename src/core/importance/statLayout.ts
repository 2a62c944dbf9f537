/**
 * What the instrumented graph returns per batch, and where. Every output is a small masked sum over the batch's
 * counted tokens (attention_mask = 1; every token when the model has no mask input), so a batch's statistics are
 * a few vectors whatever its size.
 */
export interface StatLayout {
  /** Scalar: the number of tokens that counted in the batch. */
  count: string;
  /** Per residual-stream point (embedding output, then after every block): [1, D] Σ |h|. */
  points: string[];
  /** Per block: [1, F] Σ |mlp hidden|. */
  ffn: string[];
  /** Per block: [1, H] Σ ‖context of head h‖₂. */
  heads: string[];
  /** Per block: [2] Σ ‖f‖/‖x_out‖ and Σ (1 − cos(x_in, x_out)), with f = x_out − x_in. */
  blocks: string[];
  /** Vector lengths, for checking what comes back: D, F per block, H per block. */
  sizes: { dModel: number; ffn: number[]; heads: number[] };
}

/** Every output name of a layout, in a fixed order. */
export function layoutOutputs(layout: StatLayout): string[] {
  return [layout.count, ...layout.points, ...layout.ffn, ...layout.heads, ...layout.blocks];
}
