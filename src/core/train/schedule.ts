/** The learning-rate schedule: linear warmup, then cosine decay to a floor. */
export interface Schedule {
  /** Peak learning rate. */
  lr: number;
  /** Steps of linear warmup from lr/warmup to lr. */
  warmup: number;
  /** Total steps; the cosine reaches minLr at the last step. */
  steps: number;
  /** Final learning rate (default lr/10). */
  minLr: number;
}

/** The learning rate at a 0-based step. */
export function learningRate(s: Schedule, step: number): number {
  // 1) linear warmup
  if (step < s.warmup) return (s.lr * (step + 1)) / s.warmup;
  // 2) cosine from lr (at the end of warmup) down to minLr (at the last step), then the floor
  const span = Math.max(1, s.steps - 1 - s.warmup);
  const progress = Math.min(1, (step - s.warmup) / span);
  return s.minLr + 0.5 * (s.lr - s.minLr) * (1 + Math.cos(Math.PI * progress));
}
