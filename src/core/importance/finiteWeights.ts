import { isFloatType } from '../onnx/dataType';
import type { OnnxModel } from '../onnx/onnxModel';
import { quote } from '../quote';

/** A float weight holding NaN or ±∞: its name, how many such values, and where the first is. */
export interface NonFiniteWeight {
  name: string;
  count: number;
  first: number;
  total: number;
}

/**
 * The first float initializer holding NaN or ±∞, or null when every weight is finite. Reads every weight once
 * (external data too), so it runs only to explain a non-finite result, not on every call.
 */
export function nonFiniteWeight(model: OnnxModel): NonFiniteWeight | null {
  for (const t of model.graph.initializer) {
    if (!isFloatType(t.dataType)) continue;
    let count = 0;
    let first = -1;
    let at = 0;
    for (const values of model.float32Chunks(t)) {
      for (let i = 0; i < values.length; i++) {
        if (Number.isFinite(values[i])) continue;
        if (first < 0) first = at + i;
        count++;
      }
      at += values.length;
    }
    if (count) return { name: t.name, count, first, total: at };
  }
  return null;
}

/** "the weight "h.0.attn.c_attn.weight" holds 3 NaN/∞ values of 110,592 (the first at element 17)". */
export function describeNonFinite(w: NonFiniteWeight): string {
  return `the weight ${quote(w.name)} holds ${w.count.toLocaleString('en-US')} NaN/∞ value${w.count === 1 ? '' : 's'} of ${w.total.toLocaleString('en-US')} (the first at element ${w.first})`;
}
