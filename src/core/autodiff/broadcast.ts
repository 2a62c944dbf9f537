import { SubcloneError } from '../errors';
import type { Emitter } from './emitter';
import { sameDims } from './tensorInfo';

/**
 * Sums a gradient computed at a broadcast shape back to the shape of the operand that was broadcast: ReduceSum
 * over the leading axes the operand lacked and over the axes where it had size 1, then a Reshape to its dims.
 */
export function reduceTo(e: Emitter, grad: string, gradDims: readonly number[], target: readonly number[]): string {
  if (sameDims(gradDims, target)) return grad;
  const lead = gradDims.length - target.length;
  if (lead < 0) throw new SubcloneError('ShapeMismatch', `cannot reduce a gradient of shape [${gradDims}] to [${target}]`);
  const axes: number[] = [];
  for (let i = 0; i < gradDims.length; i++) {
    const t = i < lead ? 1 : target[i - lead];
    if (i < lead || (t === 1 && gradDims[i] !== 1)) axes.push(i);
    else if (t !== gradDims[i]) throw new SubcloneError('ShapeMismatch', `cannot reduce a gradient of shape [${gradDims}] to [${target}]`);
  }
  const summed = e.reduceSum(grad, axes, true);
  return lead > 0 ? e.reshape(summed, target) : summed;
}

/** The numpy broadcast of two shapes. */
export function broadcastDims(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new SubcloneError('ShapeMismatch', `shapes [${a}] and [${b}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}
