import * as assert from 'node:assert/strict';
import { attr } from '../../../src/core/autodiff/emitter';
import { DataType } from '../../../src/core/onnx/dataType';
import { gradCheck, node, type RuleCase } from './gradCheck';

/**
 * Every vector-Jacobian rule against central finite differences, on small random inputs in float64 (h = 1e-6).
 * Tolerance: |analytic - numeric| <= 1e-6 * max(|numeric|, 1) for every element. Ops onnxruntime runs only in
 * float32 (Erf, Conv, ConvTranspose) are checked in float32 with h = 1e-2 (Conv is linear in each input, so the
 * difference quotient is exact up to rounding; Erf's truncation error is below 1e-4) and a tolerance of 1e-3.
 */
const TOL64 = 1e-6;
const TOL32 = 1e-3;

const F = DataType.FLOAT;
const x = (dims: number[], extra: Partial<RuleCase['inputs'][number]> = {}) => ({ name: 'x', dims, ...extra });
const input = (name: string, dims: number[], extra: Partial<RuleCase['inputs'][number]> = {}) => ({ name, dims, ...extra });
const ints = (name: string, values: number[], dims = [values.length]) => ({ name, dims, values });
const floatConst = (name: string, values: number[], dims: number[] = [], elem: number = DataType.DOUBLE) => ({ name, dims, values, elem });

interface Named extends RuleCase {
  title: string;
  h?: number;
  tolerance?: number;
}

const cases: Named[] = [
  // --- elementwise with broadcasting
  { title: 'Add [2,3,4] + [4]', inputs: [input('a', [2, 3, 4]), input('b', [4])], nodes: [node('Add', ['a', 'b'], ['y'])] },
  { title: 'Add [2,3,4] + [3,1]', inputs: [input('a', [2, 3, 4]), input('b', [3, 1])], nodes: [node('Add', ['a', 'b'], ['y'])] },
  { title: 'Sub [2,3] - [1,3]', inputs: [input('a', [2, 3]), input('b', [1, 3])], nodes: [node('Sub', ['a', 'b'], ['y'])] },
  { title: 'Mul [2,3,4] * [2,1,4]', inputs: [input('a', [2, 3, 4]), input('b', [2, 1, 4])], nodes: [node('Mul', ['a', 'b'], ['y'])] },
  { title: 'Mul by itself', inputs: [x([3, 4])], nodes: [node('Mul', ['x', 'x'], ['y'])] },
  { title: 'Div [2,3] / [3]', inputs: [input('a', [2, 3]), input('b', [3], { positive: true })], nodes: [node('Div', ['a', 'b'], ['y'])] },
  { title: 'Sum of three', inputs: [input('a', [2, 3]), input('b', [3]), input('c', [2, 1])], nodes: [node('Sum', ['a', 'b', 'c'], ['y'])] },
  { title: 'Pow x^2 (constant)', inputs: [x([2, 3])], constants: [floatConst('p', [2])], nodes: [node('Pow', ['x', 'p'], ['y'])] },
  { title: 'Pow x^3 (constant)', inputs: [x([2, 3])], constants: [floatConst('p', [3])], nodes: [node('Pow', ['x', 'p'], ['y'])] },
  { title: 'Pow x^0.5 (constant)', inputs: [x([2, 3], { positive: true })], constants: [floatConst('p', [0.5])], nodes: [node('Pow', ['x', 'p'], ['y'])] },
  { title: 'Pow x^p (both differentiated)', inputs: [x([2, 3], { positive: true }), input('p', [3])], nodes: [node('Pow', ['x', 'p'], ['y'])] },
  { title: 'Neg', inputs: [x([2, 3])], nodes: [node('Neg', ['x'], ['y'])] },
  { title: 'Sqrt', inputs: [x([2, 3], { positive: true })], nodes: [node('Sqrt', ['x'], ['y'])] },
  { title: 'Reciprocal', inputs: [x([2, 3], { positive: true })], nodes: [node('Reciprocal', ['x'], ['y'])] },
  { title: 'Exp', inputs: [x([2, 3])], nodes: [node('Exp', ['x'], ['y'])] },
  { title: 'Log', inputs: [x([2, 3], { positive: true })], nodes: [node('Log', ['x'], ['y'])] },
  { title: 'Tanh', inputs: [x([2, 3])], nodes: [node('Tanh', ['x'], ['y'])] },
  { title: 'Sigmoid', inputs: [x([2, 3])], nodes: [node('Sigmoid', ['x'], ['y'])] },
  { title: 'Relu', inputs: [x([6], { values: [-1.2, -0.3, 0.2, 0.7, -2, 1.5] })], nodes: [node('Relu', ['x'], ['y'])] },
  { title: 'Erf (float32)', elem: F, inputs: [x([2, 3])], nodes: [node('Erf', ['x'], ['y'])], h: 1e-2, tolerance: TOL32 },
  { title: 'Identity', inputs: [x([2, 3])], nodes: [node('Identity', ['x'], ['y'])] },
  {
    title: 'Cast float64 → float32 → float64',
    inputs: [x([2, 3])],
    nodes: [node('Cast', ['x'], ['x32'], [attr.int('to', F)]), node('Tanh', ['x32'], ['t']), node('Cast', ['t'], ['y'], [attr.int('to', DataType.DOUBLE)])],
    h: 1e-3,
    tolerance: TOL32,
  },
  {
    title: 'Where with broadcast',
    inputs: [input('cond', [2, 3], { elem: DataType.BOOL, wrt: false, values: [1, 0, 1, 0, 0, 1] }), input('a', [2, 3]), input('b', [3])],
    nodes: [node('Where', ['cond', 'a', 'b'], ['y'])],
  },
  {
    title: 'Where with a constant condition (baked mask)',
    inputs: [input('a', [2, 3]), input('b', [2, 3])],
    constants: [{ name: 'cond', dims: [1, 3], values: [1, 0, 1], elem: DataType.BOOL }],
    nodes: [node('Where', ['cond', 'a', 'b'], ['y'])],
  },
  // --- elementwise chains differentiated as one region (elementwiseRegion.ts)
  {
    title: 'region: GELU (tanh) as PyTorch exports it',
    inputs: [x([2, 5])],
    constants: [floatConst('c1', [0.044715]), floatConst('c2', [Math.sqrt(2 / Math.PI)]), floatConst('one', [1]), floatConst('half', [0.5])],
    nodes: [
      node('Mul', ['x', 'x'], ['m']), node('Mul', ['x', 'm'], ['m1']), node('Mul', ['c1', 'm1'], ['m2']), node('Add', ['x', 'm2'], ['a']),
      node('Mul', ['c2', 'a'], ['m3']), node('Tanh', ['m3'], ['t']), node('Add', ['one', 't'], ['a1']), node('Mul', ['x', 'a1'], ['m4']),
      node('Mul', ['half', 'm4'], ['y']),
    ],
  },
  {
    title: 'region: GELU (erf) with Pow and Div by a constant',
    inputs: [x([3, 4])],
    constants: [floatConst('r2', [Math.SQRT2], [], F), floatConst('one', [1], [], F), floatConst('half', [0.5], [], F), floatConst('three', [3], [], F)],
    nodes: [
      node('Div', ['x', 'r2'], ['d']), node('Erf', ['d'], ['f']), node('Add', ['f', 'one'], ['a']), node('Mul', ['x', 'a'], ['m']),
      node('Mul', ['m', 'half'], ['g']), node('Pow', ['x', 'three'], ['p']), node('Sub', ['g', 'p'], ['y']),
    ],
    elem: F,
    h: 1e-2,
    tolerance: TOL32,
  },
  {
    title: 'region: SiLU times a second input (two varying inputs stay per-op)',
    inputs: [x([2, 3]), input('u', [2, 3])],
    nodes: [node('Sigmoid', ['x'], ['s']), node('Mul', ['x', 's'], ['a']), node('Neg', ['a'], ['n']), node('Mul', ['n', 'u'], ['y'])],
  },
  {
    title: 'region: Sqrt, Exp, Log, Reciprocal, Relu, Div by a varying value',
    inputs: [x([2, 4], { values: [0.6, 0.9, 1.3, 0.7, 1.1, 1.45, 0.8, 1.2] })],
    constants: [floatConst('one', [1]), floatConst('k', [1.7])],
    nodes: [
      node('Sqrt', ['x'], ['s']), node('Exp', ['s'], ['e']), node('Log', ['e'], ['l']), node('Reciprocal', ['l'], ['r']),
      node('Sub', ['r', 'one'], ['z']), node('Relu', ['z'], ['q']), node('Div', ['x', 'e'], ['d']), node('Add', ['q', 'd'], ['w']),
      node('Div', ['k', 'w'], ['y']),
    ],
  },
  {
    title: 'region: an inner value also read outside stays outside the region',
    inputs: [x([2, 3])],
    constants: [floatConst('one', [1])],
    nodes: [node('Tanh', ['x'], ['t']), node('Mul', ['t', 't'], ['q']), node('Sub', ['one', 'q'], ['s']), node('Exp', ['s'], ['e']), node('Mul', ['e', 't'], ['y'])],
  },
  // --- linear algebra
  { title: 'MatMul [2,3,4] @ [4,5] (weight)', inputs: [input('a', [2, 3, 4]), input('b', [4, 5])], nodes: [node('MatMul', ['a', 'b'], ['y'])] },
  { title: 'MatMul [2,3,4] @ [2,4,5]', inputs: [input('a', [2, 3, 4]), input('b', [2, 4, 5])], nodes: [node('MatMul', ['a', 'b'], ['y'])] },
  { title: 'MatMul [3,4] @ [2,4,5]', inputs: [input('a', [3, 4]), input('b', [2, 4, 5])], nodes: [node('MatMul', ['a', 'b'], ['y'])] },
  { title: 'MatMul [2,1,3,4] @ [1,2,4,5]', inputs: [input('a', [2, 1, 3, 4]), input('b', [1, 2, 4, 5])], nodes: [node('MatMul', ['a', 'b'], ['y'])] },
  { title: 'MatMul [4] @ [4,5]', inputs: [input('a', [4]), input('b', [4, 5])], nodes: [node('MatMul', ['a', 'b'], ['y'])] },
  { title: 'MatMul [2,3,4] @ [4]', inputs: [input('a', [2, 3, 4]), input('b', [4])], nodes: [node('MatMul', ['a', 'b'], ['y'])] },
  ...[0, 1].flatMap((ta) =>
    [0, 1].map((tb): Named => ({
      title: `Gemm transA=${ta} transB=${tb}, alpha/beta, bias [5]`,
      inputs: [input('a', ta ? [4, 3] : [3, 4]), input('b', tb ? [5, 4] : [4, 5]), input('c', [5])],
      nodes: [node('Gemm', ['a', 'b', 'c'], ['y'], [attr.int('transA', ta), attr.int('transB', tb), attr.float('alpha', 0.7), attr.float('beta', 1.3)])],
    })),
  ),
  { title: 'Gemm bias [3,1]', inputs: [input('a', [3, 4]), input('b', [4, 5]), input('c', [3, 1])], nodes: [node('Gemm', ['a', 'b', 'c'], ['y'])] },
  // --- reductions and normalisation
  { title: 'ReduceMean axes=[-1] keepdims', inputs: [x([2, 3, 4])], nodes: [node('ReduceMean', ['x'], ['y'], [attr.ints('axes', [-1])])] },
  { title: 'ReduceMean axes=[0,2] no keepdims', inputs: [x([2, 3, 4])], nodes: [node('ReduceMean', ['x'], ['y'], [attr.ints('axes', [0, 2]), attr.int('keepdims', 0)])] },
  { title: 'ReduceMean opset 18 (axes input)', opset: 18, inputs: [x([2, 3, 4])], constants: [ints('axes', [1])], nodes: [node('ReduceMean', ['x', 'axes'], ['y'])] },
  { title: 'ReduceSum axes input, no keepdims', inputs: [x([2, 3, 4])], constants: [ints('axes', [1])], nodes: [node('ReduceSum', ['x', 'axes'], ['y'], [attr.int('keepdims', 0)])] },
  { title: 'ReduceSum all axes', inputs: [x([2, 3])], nodes: [node('ReduceSum', ['x'], ['y'], [attr.int('keepdims', 0)])] },
  { title: 'Softmax axis -1', inputs: [x([2, 3, 4])], nodes: [node('Softmax', ['x'], ['y'])] },
  { title: 'Softmax axis 1', inputs: [x([2, 3, 4])], nodes: [node('Softmax', ['x'], ['y'], [attr.int('axis', 1)])] },
  { title: 'LogSoftmax', inputs: [x([2, 5])], nodes: [node('LogSoftmax', ['x'], ['y'])] },
  {
    title: 'LayerNormalization axis -1 with bias',
    inputs: [x([2, 3, 4]), input('g', [4]), input('b', [4])],
    nodes: [node('LayerNormalization', ['x', 'g', 'b'], ['y'], [attr.float('epsilon', 1e-5)])],
  },
  {
    title: 'LayerNormalization axis 1, no bias',
    inputs: [x([2, 3, 4]), input('g', [3, 4])],
    nodes: [node('LayerNormalization', ['x', 'g'], ['y'], [attr.int('axis', 1), attr.float('epsilon', 1e-5)])],
  },
  // --- layout
  { title: 'Reshape', inputs: [x([2, 3, 4])], constants: [ints('s', [6, 4])], nodes: [node('Reshape', ['x', 's'], ['t']), node('Tanh', ['t'], ['y'])] },
  { title: 'Flatten axis 2', inputs: [x([2, 3, 4])], nodes: [node('Flatten', ['x'], ['t'], [attr.int('axis', 2)]), node('Tanh', ['t'], ['y'])] },
  { title: 'Squeeze', inputs: [x([2, 1, 3])], constants: [ints('ax', [1])], nodes: [node('Squeeze', ['x', 'ax'], ['y'])] },
  { title: 'Unsqueeze', inputs: [x([2, 3])], constants: [ints('ax', [0, 2])], nodes: [node('Unsqueeze', ['x', 'ax'], ['y'])] },
  { title: 'Transpose perm', inputs: [x([2, 3, 4])], nodes: [node('Transpose', ['x'], ['t'], [attr.ints('perm', [1, 2, 0])]), node('Tanh', ['t'], ['y'])] },
  { title: 'Transpose default', inputs: [x([2, 3, 4])], nodes: [node('Transpose', ['x'], ['y'])] },
  { title: 'Expand [3,1] → [2,3,4]', inputs: [x([3, 1])], constants: [ints('s', [2, 3, 4])], nodes: [node('Expand', ['x', 's'], ['y'])] },
  {
    title: 'Concat axis 1 with a fixed input',
    inputs: [input('a', [2, 2]), input('k', [2, 1], { wrt: false }), input('b', [2, 3])],
    nodes: [node('Concat', ['a', 'k', 'b'], ['y'], [attr.int('axis', 1)])],
  },
  {
    title: 'Split sizes [1,3], second output unused',
    inputs: [x([2, 4, 3])],
    constants: [ints('sizes', [1, 3])],
    nodes: [node('Split', ['x', 'sizes'], ['s0', 's1'], [attr.int('axis', 1)]), node('Tanh', ['s0'], ['y'])],
  },
  {
    title: 'Split into two used parts',
    inputs: [x([2, 6])],
    constants: [ints('sizes', [2, 4])],
    nodes: [node('Split', ['x', 'sizes'], ['s0', 's1'], [attr.int('axis', 1)]), node('ReduceSum', ['s1'], ['r'], [attr.int('keepdims', 1)]), node('Mul', ['s0', 'r'], ['y'])],
  },
  {
    title: 'Slice with negative bounds and axes',
    inputs: [x([3, 5, 4])],
    constants: [ints('st', [1, -3]), ints('en', [3, 100]), ints('ax', [0, -2])],
    nodes: [node('Slice', ['x', 'st', 'en', 'ax'], ['y'])],
  },
  {
    title: 'Gather rows with repeats (embedding)',
    inputs: [x([5, 3]), input('i', [2, 3], { elem: DataType.INT64, wrt: false, values: [0, 2, 2, 4, 0, 1] })],
    nodes: [node('Gather', ['x', 'i'], ['y'])],
  },
  {
    title: 'Gather axis 1 with repeats',
    inputs: [x([2, 4, 3]), input('i', [3], { elem: DataType.INT64, wrt: false, values: [3, 0, 3] })],
    nodes: [node('Gather', ['x', 'i'], ['y'], [attr.int('axis', 1)])],
  },
  {
    title: 'Gather scalar constant index (pooler)',
    inputs: [x([2, 4, 3])],
    constants: [ints('i', [0], [])],
    nodes: [node('Gather', ['x', 'i'], ['y'], [attr.int('axis', 1)])],
  },
  // --- convolution (float32 only in onnxruntime)
  {
    title: 'Conv patch embedding (kernel = stride = 4) with bias',
    elem: F,
    inputs: [x([2, 3, 8, 8]), input('w', [5, 3, 4, 4]), input('b', [5])],
    nodes: [node('Conv', ['x', 'w', 'b'], ['y'], [attr.ints('kernel_shape', [4, 4]), attr.ints('strides', [4, 4])])],
    h: 1e-2,
    tolerance: TOL32,
  },
  {
    title: 'Conv 3x3, pad 1, stride 2',
    elem: F,
    inputs: [x([1, 2, 7, 7]), input('w', [3, 2, 3, 3])],
    nodes: [node('Conv', ['x', 'w'], ['y'], [attr.ints('pads', [1, 1, 1, 1]), attr.ints('strides', [2, 2])])],
    h: 1e-2,
    tolerance: TOL32,
  },
];

describe('autodiff: vector-Jacobian rules vs central finite differences', function () {
  this.timeout(120000);
  for (const c of cases) {
    it(c.title, async () => {
      const { maxError, checked } = await gradCheck(c, c.h ?? 1e-6);
      assert.ok(checked > 0);
      const tolerance = c.tolerance ?? TOL64;
      assert.ok(maxError <= tolerance, `max error ${maxError.toExponential(2)} > ${tolerance}`);
    });
  }
});
