import { attrInt, attrInts, attrString } from '../graph/attributes';
import type { NodeProto } from '../onnx/proto';
import type { Atom, AtomTable } from './atoms';

/** What an op rule sees: the node, the atoms of its values' axes, and the probed shapes and small values. */
export interface AxisContext {
  readonly table: AtomTable;
  readonly node: NodeProto;
  /** A readable name of the node, used in lock reasons. */
  readonly label: string;
  readonly opset: number;
  /** The atoms of a value's axes ([] for a scalar or an empty name). */
  axes(value: string): Atom[];
  dims(value: string): number[];
  /** The probed content of a small static value (shape plumbing), or undefined. */
  values(value: string): number[] | undefined;
  unify(a: Atom, b: Atom): void;
  /** Numpy broadcasting: right-aligned axes of equal size (>1) are the same axis. */
  broadcast(inputs: string[], output: string): void;
  /** Same element order, possibly different shape (Reshape, Flatten, Squeeze, Unsqueeze). */
  reshape(input: string, output: string): void;
  /** Locks every axis of the node's inputs and outputs. */
  lockAll(reason: string): void;
}

export type AxisRule = (ctx: AxisContext) => void;

const n = (ctx: AxisContext) => ctx.node;

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Elementwise ops over all inputs (broadcasting) to output 0. */
const elementwise: AxisRule = (ctx) => ctx.broadcast(n(ctx).input.filter(Boolean), n(ctx).output[0]);
/** Output 0 has input 0's shape; other inputs are scalars or parameters. */
const unaryIdentity: AxisRule = (ctx) => ctx.broadcast([n(ctx).input[0]], n(ctx).output[0]);
/** Outputs created from nothing coupled (shapes, ranges, constants). */
const fresh: AxisRule = () => undefined;

function reduceAxes(ctx: AxisContext): number[] | 'all' {
  const node = n(ctx);
  const rank = ctx.dims(node.input[0]).length;
  let axes = attrInts(node, 'axes');
  if (!axes && node.input[1]) axes = ctx.values(node.input[1]);
  if (!axes || axes.length === 0) return attrInt(node, 'noop_with_empty_axes', 0) ? [] : 'all';
  return axes.map((a) => normAxis(a, rank));
}

const reduce: AxisRule = (ctx) => {
  const node = n(ctx);
  const input = ctx.axes(node.input[0]);
  const output = ctx.axes(node.output[0]);
  const reduced = reduceAxes(ctx);
  const keep = attrInt(node, 'keepdims', 1) === 1;
  let o = 0;
  input.forEach((a, i) => {
    const isReduced = reduced === 'all' || reduced.includes(i);
    if (!isReduced) ctx.unify(a, output[o]);
    if (!isReduced || keep) o++;
  });
};

const argReduce: AxisRule = (ctx) => {
  const node = n(ctx);
  const input = ctx.axes(node.input[0]);
  const output = ctx.axes(node.output[0]);
  const axis = normAxis(attrInt(node, 'axis', 0), input.length);
  const keep = attrInt(node, 'keepdims', 1) === 1;
  let o = 0;
  input.forEach((a, i) => {
    if (i !== axis) ctx.unify(a, output[o]);
    if (i !== axis || keep) o++;
  });
};

const matMul: AxisRule = (ctx) => {
  const node = n(ctx);
  const a = ctx.axes(node.input[0]);
  const b = ctx.axes(node.input[1]);
  const y = ctx.axes(node.output[0]);
  if (a.length === 0 || b.length === 0) return ctx.lockAll('MatMul with a scalar operand');
  const a2 = a.length === 1 ? [undefined, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], undefined] : b;
  const k1 = a2[a2.length - 1]!;
  const k2 = b2[b2.length - 2]!;
  ctx.unify(k1, k2);
  const m = a.length === 1 ? undefined : a[a.length - 2];
  const nn = b.length === 1 ? undefined : b[b.length - 1];
  let yi = y.length - 1;
  if (nn) ctx.unify(nn, y[yi--]);
  if (m) ctx.unify(m, y[yi--]);
  // Batch dims broadcast, right-aligned.
  const batchA = a.slice(0, Math.max(0, a.length - 2));
  const batchB = b.slice(0, Math.max(0, b.length - 2));
  const batchY = y.slice(0, yi + 1);
  for (const batch of [batchA, batchB]) {
    for (let i = 1; i <= batch.length; i++) {
      const src = batch[batch.length - i];
      const dst = batchY[batchY.length - i];
      if (dst && src.size === dst.size && src.size > 1) ctx.unify(src, dst);
    }
  }
};

const gemm: AxisRule = (ctx) => {
  const node = n(ctx);
  const a = ctx.axes(node.input[0]);
  const b = ctx.axes(node.input[1]);
  const y = ctx.axes(node.output[0]);
  const [m, k1] = attrInt(node, 'transA', 0) ? [a[1], a[0]] : [a[0], a[1]];
  const [k2, nn] = attrInt(node, 'transB', 0) ? [b[1], b[0]] : [b[0], b[1]];
  ctx.unify(k1, k2);
  ctx.unify(m, y[0]);
  ctx.unify(nn, y[1]);
  if (node.input[2]) ctx.broadcast([node.input[2]], node.output[0]);
};

const conv: AxisRule = (ctx) => {
  const node = n(ctx);
  const x = ctx.axes(node.input[0]);
  const w = ctx.axes(node.input[1]);
  const y = ctx.axes(node.output[0]);
  ctx.unify(x[0], y[0]);
  ctx.unify(w[0], y[1]);
  if (attrInt(node, 'group', 1) === 1) ctx.unify(x[1], w[1]);
  else ctx.lockAll('grouped convolution');
  if (node.input[2]) ctx.unify(ctx.axes(node.input[2])[0], y[1]);
};

const transpose: AxisRule = (ctx) => {
  const node = n(ctx);
  const x = ctx.axes(node.input[0]);
  const y = ctx.axes(node.output[0]);
  const perm = attrInts(node, 'perm') ?? x.map((_, i) => x.length - 1 - i);
  perm.forEach((p, i) => ctx.unify(x[p], y[i]));
};

const reshapeRule: AxisRule = (ctx) => ctx.reshape(n(ctx).input[0], n(ctx).output[0]);

const concat: AxisRule = (ctx) => {
  const node = n(ctx);
  const y = ctx.axes(node.output[0]);
  const axis = normAxis(attrInt(node, 'axis', 0), y.length);
  const inputs = node.input.filter(Boolean).map((i) => ctx.axes(i));
  for (const x of inputs) x.forEach((a, i) => i !== axis && ctx.unify(a, y[i]));
  ctx.unify(y[axis], ctx.table.catOf(inputs.map((x) => x[axis])));
};

const split: AxisRule = (ctx) => {
  const node = n(ctx);
  const x = ctx.axes(node.input[0]);
  const axis = normAxis(attrInt(node, 'axis', 0), x.length);
  const outputs = node.output.filter(Boolean).map((o) => ctx.axes(o));
  for (const y of outputs) y.forEach((a, i) => i !== axis && ctx.unify(x[i], a));
  ctx.unify(x[axis], ctx.table.catOf(outputs.map((y) => y[axis])));
};

const slice: AxisRule = (ctx) => {
  const node = n(ctx);
  const x = ctx.axes(node.input[0]);
  const y = ctx.axes(node.output[0]);
  const dims = ctx.dims(node.input[0]);
  const read = (i: number, attr: string) => (ctx.opset >= 10 ? (node.input[i] ? ctx.values(node.input[i]) : undefined) : attrInts(node, attr));
  const starts = read(1, 'starts');
  const ends = read(2, 'ends');
  if (!starts || !ends) return ctx.lockAll('Slice with bounds that depend on input values');
  const axes = (read(3, 'axes') ?? starts.map((_, i) => i)).map((a) => normAxis(a, x.length));
  const steps = read(4, 'steps') ?? starts.map(() => 1);
  const sliced = new Set<number>();
  axes.forEach((axis, i) => {
    const size = dims[axis];
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
    const start = clamp(starts[i]);
    const end = clamp(ends[i]);
    if (steps[i] === 1 && start === 0 && end === size) return;
    sliced.add(axis);
    if (steps[i] !== 1) {
      ctx.table.lock(x[axis], `${ctx.label} takes every ${steps[i]}th position`);
      ctx.table.lock(y[axis], `${ctx.label} takes every ${steps[i]}th position`);
      return;
    }
    const t = ctx.table;
    const parts = [start > 0 ? t.fresh(start) : undefined, y[axis], end < size ? t.fresh(size - end) : undefined];
    ctx.unify(x[axis], t.catOf(parts.filter((p): p is Atom => !!p)));
  });
  x.forEach((a, i) => !sliced.has(i) && ctx.unify(a, y[i]));
};

const gather: AxisRule = (ctx) => {
  const node = n(ctx);
  const data = ctx.axes(node.input[0]);
  const indices = ctx.axes(node.input[1]);
  const y = ctx.axes(node.output[0]);
  const axis = normAxis(attrInt(node, 'axis', 0), data.length);
  data.slice(0, axis).forEach((a, i) => ctx.unify(a, y[i]));
  indices.forEach((a, i) => ctx.unify(a, y[axis + i]));
  data.slice(axis + 1).forEach((a, i) => ctx.unify(a, y[axis + indices.length + i]));
  ctx.table.lock(data[axis], `${ctx.label} selects positions along this axis`);
};

const expand: AxisRule = (ctx) => {
  const node = n(ctx);
  ctx.broadcast([node.input[0]], node.output[0]);
};

const softmaxLike: AxisRule = unaryIdentity;

const layerNorm: AxisRule = (ctx) => {
  const node = n(ctx);
  const x = ctx.axes(node.input[0]);
  ctx.broadcast([node.input[0], node.input[1], node.input[2] ?? ''].filter(Boolean), node.output[0]);
  const axis = normAxis(attrInt(node, 'axis', -1), x.length);
  for (const extra of node.output.slice(1).filter(Boolean)) {
    const stat = ctx.axes(extra);
    x.slice(0, axis).forEach((a, i) => ctx.unify(a, stat[i]));
  }
};

const positional = (axesOf: (ctx: AxisContext) => number[]): AxisRule => (ctx) => {
  const node = n(ctx);
  const x = ctx.axes(node.input[0]);
  const y = ctx.axes(node.output[0]);
  const locked = axesOf(ctx);
  x.forEach((a, i) => {
    if (locked.includes(i)) {
      ctx.table.lock(a, `${ctx.label} treats positions along this axis differently`);
      ctx.table.lock(y[i], `${ctx.label} treats positions along this axis differently`);
    } else ctx.unify(a, y[i]);
  });
};

const cumSum = positional((ctx) => {
  const v = ctx.values(n(ctx).input[1]);
  return v ? [normAxis(v[0], ctx.dims(n(ctx).input[0]).length)] : ctx.dims(n(ctx).input[0]).map((_, i) => i);
});
const trilu = positional((ctx) => {
  const r = ctx.dims(n(ctx).input[0]).length;
  return [r - 2, r - 1];
});
const pad = positional((ctx) => {
  const pads = ctx.values(n(ctx).input[1]) ?? attrInts(n(ctx), 'pads');
  const rank = ctx.dims(n(ctx).input[0]).length;
  if (!pads) return Array.from({ length: rank }, (_, i) => i);
  const axesValues = n(ctx).input[3] ? ctx.values(n(ctx).input[3]) : undefined;
  const axes = (axesValues ?? Array.from({ length: rank }, (_, i) => i)).map((a) => normAxis(a, rank));
  return axes.filter((_, i) => pads[i] !== 0 || pads[i + axes.length] !== 0);
});

const einsum: AxisRule = (ctx) => {
  const node = n(ctx);
  const eq = (attrString(node, 'equation') ?? '').replace(/\s/g, '');
  const [lhs, rhs] = eq.split('->');
  if (!rhs || eq.includes('.')) return ctx.lockAll(`Einsum "${eq}" (implicit output or ellipsis)`);
  const byLabel = new Map<string, Atom>();
  const operands = lhs.split(',');
  const bind = (labels: string, atoms: Atom[]) =>
    [...labels].forEach((l, i) => {
      const prev = byLabel.get(l);
      if (!prev) byLabel.set(l, atoms[i]);
      else if (prev.size === atoms[i].size) ctx.unify(prev, atoms[i]);
    });
  operands.forEach((labels, k) => bind(labels, ctx.axes(node.input[k])));
  bind(rhs, ctx.axes(node.output[0]));
};

const ELEMENTWISE = [
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Mod', 'Sum', 'Mean', 'Equal', 'Greater', 'Less',
  'GreaterOrEqual', 'LessOrEqual', 'And', 'Or', 'Xor', 'Where', 'PRelu', 'BitShift', 'BitwiseAnd', 'BitwiseOr',
  'BitwiseXor',
];
const UNARY = [
  'Neg', 'Abs', 'Sqrt', 'Reciprocal', 'Exp', 'Log', 'Erf', 'Tanh', 'Sigmoid', 'Relu', 'LeakyRelu', 'Elu', 'Selu',
  'Celu', 'Softplus', 'Softsign', 'HardSigmoid', 'HardSwish', 'Mish', 'Gelu', 'Cast', 'CastLike', 'Identity', 'Not',
  'Sign', 'Floor', 'Ceil', 'Round', 'IsNaN', 'IsInf', 'Clip', 'Dropout', 'Sin', 'Cos', 'Tan', 'Asin', 'Acos', 'Atan',
  'Sinh', 'Cosh', 'ThresholdedRelu', 'Shrink', 'BitwiseNot',
];
const REDUCE = ['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceSumSquare', 'ReduceLogSum', 'ReduceLogSumExp'];
const FRESH = ['Shape', 'Size', 'Constant', 'ConstantOfShape', 'Range', 'EyeLike', 'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'OneHot', 'NonZero'];

/** Op type (default domain) → rule. Ops missing here lock every axis they touch, naming the node. */
export const AXIS_RULES = new Map<string, AxisRule>([
  ...ELEMENTWISE.map((op) => [op, elementwise] as const),
  ...UNARY.map((op) => [op, op === 'Clip' || op === 'Dropout' || op === 'CastLike' ? unaryIdentity : elementwise] as const),
  ...REDUCE.map((op) => [op, reduce] as const),
  ...FRESH.map((op) => [op, fresh] as const),
  ['ArgMax', argReduce],
  ['ArgMin', argReduce],
  ['MatMul', matMul],
  ['Gemm', gemm],
  ['Conv', conv],
  ['Transpose', transpose],
  ['Reshape', reshapeRule],
  ['Flatten', reshapeRule],
  ['Squeeze', reshapeRule],
  ['Unsqueeze', reshapeRule],
  ['Concat', concat],
  ['Split', split],
  ['Slice', slice],
  ['Gather', gather],
  ['Expand', expand],
  ['Softmax', softmaxLike],
  ['LogSoftmax', softmaxLike],
  ['LayerNormalization', layerNorm],
  ['RMSNormalization', layerNorm],
  ['CumSum', cumSum],
  ['Trilu', trilu],
  ['Pad', pad],
  ['Einsum', einsum],
]);
