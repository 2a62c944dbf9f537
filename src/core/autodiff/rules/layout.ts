import { SubcloneError } from '../../errors';
import { DataType } from '../../onnx/dataType';
import { attrInt, attrInts, nodeLabel } from '../../graph/attributes';
import { reduceTo } from '../broadcast';
import { attr } from '../emitter';
import { normAxis } from '../tensorInfo';
import { dy0 } from './elementwise';
import type { RuleTable, VjpContext, VjpRule } from './rule';

/** Ops that only change the shape: the gradient is dy reshaped back to the input's dims. */
const reshapeBack: VjpRule = (c) => [c.needs(0) ? c.e.reshape(dy0(c), c.info(c.node.input[0]).dims) : undefined];

const transpose: VjpRule = (c) => {
  if (!c.needs(0)) return [undefined];
  const rank = c.info(c.node.input[0]).dims.length;
  const perm = attrInts(c.node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const inverse = new Array<number>(rank);
  perm.forEach((p, i) => (inverse[p] = i));
  return [c.e.transpose(dy0(c), inverse)];
};

const expand: VjpRule = (c) => [
  c.needs(0) ? reduceTo(c.e, dy0(c), c.info(c.node.output[0]).dims, c.info(c.node.input[0]).dims) : undefined,
];

const concat: VjpRule = (c) => {
  const rank = c.info(c.node.output[0]).dims.length;
  const axis = normAxis(attrInt(c.node, 'axis', 0), rank);
  const sizes = c.node.input.map((i) => c.info(i).dims[axis]);
  if (!c.node.input.some((_, i) => c.needs(i))) return c.node.input.map(() => undefined);
  const parts = c.e.split(dy0(c), axis, sizes);
  return c.node.input.map((_, i) => (c.needs(i) ? parts[i] : undefined));
};

const split: VjpRule = (c) => {
  if (!c.needs(0)) return [undefined];
  const x = c.info(c.node.input[0]);
  const axis = normAxis(attrInt(c.node, 'axis', 0), x.dims.length);
  const parts = c.node.output.map((o, i) => c.dy(i) ?? c.e.zeros(c.info(o).dims, x.elem));
  return [parts.length === 1 ? parts[0] : c.e.op('Concat', parts, [attr.int('axis', axis)])];
};

/** Slice with unit steps: dy padded with zeros back to the input's extent. */
const slice: VjpRule = (c) => {
  if (!c.needs(0)) return [undefined];
  const dims = c.info(c.node.input[0]).dims;
  const rank = dims.length;
  const starts = c.constant(1);
  const ends = c.constant(2);
  const axes = c.node.input[3] ? c.constant(3) : Array.from({ length: starts?.length ?? 0 }, (_, i) => i);
  const steps = c.node.input[4] ? c.constant(4) : undefined;
  if (!starts || !ends || !axes) throw new SubcloneError('UnsupportedOp', `${nodeLabel(c.node)}: slice bounds are not constant after specialisation`);
  const before = new Array<number>(rank).fill(0);
  const after = new Array<number>(rank).fill(0);
  axes.forEach((a, k) => {
    const axis = normAxis(a, rank);
    const n = dims[axis];
    if ((steps?.[k] ?? 1) !== 1) throw new SubcloneError('UnsupportedOp', `${nodeLabel(c.node)}: no gradient rule for Slice with step ${steps?.[k]}`);
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
    const s = clamp(starts[k]);
    const len = Math.max(0, clamp(ends[k]) - s);
    before[axis] = s;
    after[axis] = n - s - len;
  });
  return [c.e.pad(dy0(c), before, after)];
};

/**
 * Gather: the gradient scatters dy back, adding where an index repeats (ScatterND with reduction "add"). A scalar
 * constant index (e.g. the first token for a pooler) is a pad instead.
 */
const gather: VjpRule = (c: VjpContext) => {
  if (!c.needs(0)) return [undefined];
  const e = c.e;
  const [data, indices] = c.node.input;
  const d = c.info(data);
  const idx = c.info(indices);
  const rank = d.dims.length;
  const axis = normAxis(attrInt(c.node, 'axis', 0), rank);
  const dy = dy0(c);
  const constIdx = c.constant(1);
  if (idx.dims.length === 0 && constIdx) {
    const i = constIdx[0] < 0 ? constIdx[0] + d.dims[axis] : constIdx[0];
    const before = d.dims.map((_, k) => (k === axis ? i : 0));
    const after = d.dims.map((n, k) => (k === axis ? n - i - 1 : 0));
    return [e.pad(e.unsqueeze(dy, [axis]), before, after)];
  }
  if (e.opset < 16) throw new SubcloneError('UnsupportedOp', `${nodeLabel(c.node)}: the Gather gradient needs opset 16 (ScatterND add)`);
  const q = idx.dims.length;
  const count = idx.dims.reduce((p, n) => p * n, 1);
  const lead = d.dims.slice(0, axis);
  const rest = d.dims.slice(axis + 1);
  // Bring the gathered axis to the front: data [n, lead..., rest...], dy [indices..., lead..., rest...].
  const dataPerm = [axis, ...lead.map((_, k) => k), ...rest.map((_, k) => axis + 1 + k)];
  const permuted = dataPerm.map((p) => d.dims[p]);
  let updates = dy;
  if (axis > 0) {
    const dyPerm = [...Array.from({ length: q }, (_, k) => axis + k), ...lead.map((_, k) => k), ...rest.map((_, k) => axis + q + k)];
    updates = e.transpose(dy, dyPerm);
  }
  updates = e.reshape(updates, [count, ...lead, ...rest]);
  // onnxruntime's CPU ScatterND adds only in float32/float64: half-precision gradients accumulate in float32.
  const wide = d.elem === DataType.FLOAT || d.elem === DataType.DOUBLE ? d.elem : DataType.FLOAT;
  if (wide !== d.elem) updates = e.cast(updates, wide);
  const where = e.reshape(idx.elem === DataType.INT64 ? indices : e.cast(indices, DataType.INT64), [count, 1]);
  let scattered = e.op('ScatterND', [e.zeros(permuted, wide), where, updates], [attr.string('reduction', 'add')]);
  if (wide !== d.elem) scattered = e.cast(scattered, d.elem);
  if (axis === 0) return [scattered];
  const inverse = new Array<number>(rank);
  dataPerm.forEach((p, i) => (inverse[p] = i));
  return [e.transpose(scattered, inverse)];
};

export const layoutRules: RuleTable = {
  Reshape: reshapeBack,
  Flatten: reshapeBack,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,
  Transpose: transpose,
  Expand: expand,
  Concat: concat,
  Split: split,
  Slice: slice,
  Gather: gather,
};
