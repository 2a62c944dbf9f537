import { SubcloneError } from '../errors';
import type { OnnxModel } from '../onnx/onnxModel';
import type { TensorProto } from '../onnx/proto';
import { tensorDims } from '../onnx/tensorValues';
import { quote } from '../quote';

/** How a stored copy of a parameter relates to it. */
export interface TiedCopy {
  copy: string;
  of: string;
  /** The copy holds the transpose of a 2-D parameter. */
  transposed: boolean;
}

/**
 * Decides whether `copy` equals `of` as stored or transposed, from the dims and (for square matrices, where dims
 * cannot tell) the values. Throws BadModel when the copy holds neither.
 */
export function resolveTiedCopy(model: OnnxModel, copy: TensorProto, of: TensorProto): TiedCopy {
  const a = tensorDims(copy);
  const b = tensorDims(of);
  const x = model.float32(copy);
  const y = model.float32(of);
  const same = a.length === b.length && a.every((d, i) => d === b[i]);
  const transposable = a.length === 2 && b.length === 2 && a[0] === b[1] && a[1] === b[0];
  if (same && equalValues(x, y)) return { copy: copy.name, of: of.name, transposed: false };
  if (transposable && equalTransposed(x, y, b[0], b[1])) return { copy: copy.name, of: of.name, transposed: true };
  throw new SubcloneError('BadModel', `initializer ${quote(copy.name)} is declared a copy of ${quote(of.name)} but holds other values`);
}

function equalValues(x: Float32Array, y: Float32Array): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** x (cols × rows) equals the transpose of y (rows × cols). */
function equalTransposed(x: Float32Array, y: Float32Array, rows: number, cols: number): boolean {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) if (x[c * rows + r] !== y[r * cols + c]) return false;
  }
  return true;
}

/** Writes the transpose of a rows × cols matrix into `out` (cols × rows). */
export function transposeInto(src: Float32Array, rows: number, cols: number, out: Float32Array): Float32Array {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = src[base + c];
  }
  return out;
}
