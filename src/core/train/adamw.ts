/** AdamW hyper-parameters (defaults: nanoGPT's). */
export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay, applied to parameters marked `decay`. */
  weightDecay: number;
}

export const ADAMW_DEFAULTS: AdamWOptions = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };

export interface OptimizedParam {
  values: Float32Array;
  decay: boolean;
}

/**
 * AdamW (Loshchilov & Hutter) over float32 parameter arrays updated in place, with PyTorch's update order:
 * p ← p·(1 − lr·wd), then the bias-corrected Adam step. The moments live here between steps.
 */
export class AdamW {
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private t = 0;

  constructor(
    private readonly params: readonly OptimizedParam[],
    private readonly options: AdamWOptions = ADAMW_DEFAULTS,
  ) {
    this.m = params.map((p) => new Float32Array(p.values.length));
    this.v = params.map((p) => new Float32Array(p.values.length));
  }

  get stepCount(): number {
    return this.t;
  }

  /** One update with learning rate `lr`; every gradient is multiplied by `gradScale` first (clipping). */
  step(grads: readonly Float32Array[], lr: number, gradScale = 1): void {
    const { beta1, beta2, eps, weightDecay } = this.options;
    this.t++;
    const stepSize = lr / (1 - beta1 ** this.t);
    const invSqrtC2 = 1 / Math.sqrt(1 - beta2 ** this.t);
    this.params.forEach((p, k) => {
      const keep = p.decay ? 1 - lr * weightDecay : 1;
      adamwKernel(p.values, grads[k], this.m[k], this.v[k], beta1, beta2, stepSize, invSqrtC2, eps, keep, gradScale);
    });
  }
}

/**
 * The update of one tensor, a plain top-level function so the JIT keeps it monomorphic (about twice as fast as the
 * same loop inside the method): x ← x·keep − stepSize · m / (sqrt(v)/sqrt(1 − β2^t) + eps).
 */
function adamwKernel(
  x: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  beta1: number,
  beta2: number,
  stepSize: number,
  invSqrtC2: number,
  eps: number,
  keep: number,
  scale: number,
): void {
  const o1 = 1 - beta1;
  const o2 = 1 - beta2;
  for (let i = 0; i < x.length; i++) {
    const gi = g[i] * scale;
    const mi = beta1 * m[i] + o1 * gi;
    const vi = beta2 * v[i] + o2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    x[i] = x[i] * keep - (stepSize * mi) / (Math.sqrt(vi) * invSqrtC2 + eps);
  }
}

/** The L2 norm of all gradients together. */
export function globalNorm(grads: readonly Float32Array[]): number {
  let sum = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sum += g[i] * g[i];
  return Math.sqrt(sum);
}

/** The factor that scales gradients of global norm `norm` down to at most `maxNorm` (PyTorch's clip_grad_norm_). */
export function clipScale(norm: number, maxNorm: number): number {
  if (!(maxNorm > 0)) return 1;
  return Math.min(1, maxNorm / (norm + 1e-6));
}
