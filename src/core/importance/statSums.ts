import type * as ort from 'onnxruntime-node';
import { SubcloneError } from '../errors';
import type { StatLayout } from './statLayout';

/** Mean statistics over every counted token: what the report's scores are made of. */
export interface StatMeans {
  /** Mean |h| per embedding neuron at each residual-stream point ([L + 1][D]). */
  points: number[][];
  /** Mean |hidden| per FFN unit, per block. */
  ffn: number[][];
  /** Mean ‖context‖₂ per head, per block. */
  heads: number[][];
  /** Per block, mean ‖f‖/‖x_out‖ (empty when not measured). */
  relativeMagnitude: number[];
  /** Per block, mean 1 − cos(x_in, x_out) (empty when not measured). */
  oneMinusCos: number[];
}

/**
 * Running float64 sums of the per-batch masked sums the instrumented graph returns. Memory is a few vectors per
 * layer, whatever the number of batches or tokens.
 */
export class StatSums {
  tokens = 0;
  private readonly points: Float64Array[];
  private readonly ffn: Float64Array[];
  private readonly heads: Float64Array[];
  private readonly blocks: Float64Array[];

  constructor(private readonly layout: StatLayout) {
    const { dModel, ffn, heads } = layout.sizes;
    this.points = layout.points.map(() => new Float64Array(dModel));
    this.ffn = ffn.map((f) => new Float64Array(f));
    this.heads = heads.map((h) => new Float64Array(h));
    this.blocks = ffn.map(() => new Float64Array(2));
  }

  /** Adds one batch's outputs; `batch` names it in errors. */
  add(out: Record<string, ort.Tensor>, batch: number): void {
    const l = this.layout;
    const count = values(out, l.count, 1, batch)[0];
    this.tokens += count;
    l.points.forEach((name, i) => accumulate(this.points[i], values(out, name, this.points[i].length, batch), name, batch));
    l.ffn.forEach((name, i) => accumulate(this.ffn[i], values(out, name, this.ffn[i].length, batch), name, batch));
    l.heads.forEach((name, i) => accumulate(this.heads[i], values(out, name, this.heads[i].length, batch), name, batch));
    l.blocks.forEach((name, i) => accumulate(this.blocks[i], values(out, name, 2, batch), name, batch));
  }

  /** The means; throws when no token counted. */
  means(): StatMeans {
    if (this.tokens <= 0) throw new SubcloneError('MissingData', 'no calibration token counted (every position was padding)');
    const n = this.tokens;
    const mean = (a: Float64Array) => Array.from(a, (v) => v / n);
    return {
      points: this.points.map(mean),
      ffn: this.ffn.map(mean),
      heads: this.heads.map(mean),
      relativeMagnitude: this.blocks.map((b) => b[0] / n),
      oneMinusCos: this.blocks.map((b) => b[1] / n),
    };
  }
}

function values(out: Record<string, ort.Tensor>, name: string, length: number, batch: number): Float32Array {
  const t = out[name];
  if (!t) throw new SubcloneError('Runtime', `onnxruntime returned no ${name} for calibration batch ${batch}`);
  if (t.type !== 'float32' || t.size !== length) {
    throw new SubcloneError('ShapeMismatch', `${name} of calibration batch ${batch} is ${t.type}[${t.dims.join(', ')}], expected ${length} float32 values`);
  }
  return t.data as Float32Array;
}

/** A calibration batch produced NaN/∞ in a reduced statistic (the caller looks for a weight to blame). */
export class NonFiniteActivation extends SubcloneError {
  constructor(message: string) {
    super('Runtime', message);
  }
}

function accumulate(sum: Float64Array, v: Float32Array, name: string, batch: number): void {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) {
      throw new NonFiniteActivation(`calibration batch ${batch} gave a non-finite value in ${name} (element ${i}): the model overflows or divides by zero on this data`);
    }
    sum[i] += v[i];
  }
}
