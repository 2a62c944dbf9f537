import { SubcloneError } from '../../errors';
import { nodeLabel } from '../../graph/attributes';
import { reduceTo } from '../broadcast';
import type { RuleTable, VjpContext, VjpRule } from './rule';

/** The gradient of output 0, which the backward pass guarantees for single-output nodes it visits. */
export function dy0(c: VjpContext): string {
  const g = c.dy(0);
  if (!g) throw new SubcloneError('BadModel', `no gradient reaches ${nodeLabel(c.node)}`);
  return g;
}

function outDims(c: VjpContext): number[] {
  return c.info(c.node.output[0]).dims;
}

function elemOf(c: VjpContext): number {
  return c.info(c.node.output[0]).elem;
}

/** Gradient of input i from a full-shape gradient, summed over the axes the input was broadcast along. */
function toInput(c: VjpContext, i: number, grad: () => string): string | undefined {
  return c.needs(i) ? reduceTo(c.e, grad(), outDims(c), c.info(c.node.input[i]).dims) : undefined;
}

const add: VjpRule = (c) => c.node.input.map((_, i) => toInput(c, i, () => dy0(c)));

const sub: VjpRule = (c) => [toInput(c, 0, () => dy0(c)), toInput(c, 1, () => c.e.op('Neg', [dy0(c)]))];

const mul: VjpRule = (c) => {
  const [a, b] = c.node.input;
  // x·x: one contribution 2·x·dy rather than two equal ones.
  if (a === b) return [toInput(c, 0, () => c.e.op('Mul', [c.e.op('Mul', [dy0(c), a]), c.e.scalar(2, elemOf(c))])), undefined];
  return [toInput(c, 0, () => c.e.op('Mul', [dy0(c), b])), toInput(c, 1, () => c.e.op('Mul', [dy0(c), a]))];
};

// y = a / b: da = dy / b, db = -dy * y / b
const div: VjpRule = (c) => {
  const [, b] = c.node.input;
  const y = c.node.output[0];
  return [
    toInput(c, 0, () => c.e.op('Div', [dy0(c), b])),
    toInput(c, 1, () => c.e.op('Neg', [c.e.op('Div', [c.e.op('Mul', [dy0(c), y]), b])])),
  ];
};

// y = x ^ p: dx = dy * p * x^(p-1); dp = dy * y * ln(x)
const pow: VjpRule = (c) => {
  const [x, p] = c.node.input;
  const e = c.e;
  const elem = elemOf(c);
  const dx = () => {
    const constP = c.constant(1);
    if (constP && constP.length === 1) {
      const k = constP[0];
      if (k === 1) return dy0(c);
      if (k === 2) return e.op('Mul', [dy0(c), e.op('Mul', [x, e.scalar(2, elem)])]);
      const xk = k === 3 ? e.op('Mul', [x, x]) : e.op('Pow', [x, e.scalar(k - 1, elem)]);
      return e.op('Mul', [dy0(c), e.op('Mul', [xk, e.scalar(k, elem)])]);
    }
    const pCast = c.info(p).elem === elem ? p : e.cast(p, elem);
    const xk = e.op('Pow', [x, e.op('Sub', [pCast, e.scalar(1, elem)])]);
    return e.op('Mul', [dy0(c), e.op('Mul', [xk, pCast])]);
  };
  const dp = () => e.op('Mul', [dy0(c), e.op('Mul', [c.node.output[0], e.op('Log', [x])])]);
  return [toInput(c, 0, dx), toInput(c, 1, dp)];
};

/** A rule for a unary op whose derivative is written in terms of x, y and dy. */
function unary(grad: (c: VjpContext, x: string, y: string, dy: string, elem: number) => string): VjpRule {
  return (c) => [c.needs(0) ? grad(c, c.node.input[0], c.node.output[0], dy0(c), elemOf(c)) : undefined];
}

const unaryRules: RuleTable = {
  Identity: unary((_c, _x, _y, dy) => dy),
  Neg: unary((c, _x, _y, dy) => c.e.op('Neg', [dy])),
  // dx = dy * 0.5 / y
  Sqrt: unary((c, _x, y, dy, t) => c.e.op('Div', [c.e.op('Mul', [dy, c.e.scalar(0.5, t)]), y])),
  // dx = -dy * y^2
  Reciprocal: unary((c, _x, y, dy) => c.e.op('Neg', [c.e.op('Mul', [dy, c.e.op('Mul', [y, y])])])),
  Exp: unary((c, _x, y, dy) => c.e.op('Mul', [dy, y])),
  Log: unary((c, x, _y, dy) => c.e.op('Div', [dy, x])),
  // dx = dy * (1 - y^2)
  Tanh: unary((c, _x, y, dy, t) => c.e.op('Mul', [dy, c.e.op('Sub', [c.e.scalar(1, t), c.e.op('Mul', [y, y])])])),
  // dx = dy * y * (1 - y)
  Sigmoid: unary((c, _x, y, dy, t) => c.e.op('Mul', [dy, c.e.op('Mul', [y, c.e.op('Sub', [c.e.scalar(1, t), y])])])),
  Relu: unary((c, x, _y, dy, t) => c.e.op('Where', [c.e.op('Greater', [x, c.e.scalar(0, t)]), dy, c.e.scalar(0, t)])),
  // dx = dy * 2/sqrt(pi) * exp(-x^2)
  Erf: unary((c, x, _y, dy, t) =>
    c.e.op('Mul', [dy, c.e.op('Mul', [c.e.op('Exp', [c.e.op('Neg', [c.e.op('Mul', [x, x])])]), c.e.scalar(2 / Math.sqrt(Math.PI), t)])]),
  ),
  Cast: unary((c, x, _y, dy) => c.e.cast(dy, c.info(x).elem)),
};

// y = where(cond, a, b): da = where(cond, dy, 0), db = where(cond, 0, dy). A constant condition (a baked causal
// mask) becomes a constant 0/1 factor instead: onnxruntime multiplies faster than it selects.
const where: VjpRule = (c) => {
  const [cond] = c.node.input;
  const e = c.e;
  const t = elemOf(c);
  const zero = () => e.scalar(0, t);
  if (c.isConstant(0)) {
    const keep = e.cast(cond, t);
    return [undefined, toInput(c, 1, () => e.op('Mul', [dy0(c), keep])), toInput(c, 2, () => e.op('Mul', [dy0(c), e.cast(e.op('Not', [cond]), t)]))];
  }
  return [
    undefined,
    toInput(c, 1, () => e.op('Where', [cond, dy0(c), zero()])),
    toInput(c, 2, () => e.op('Where', [cond, zero(), dy0(c)])),
  ];
};

export const elementwiseRules: RuleTable = {
  Add: add,
  Sum: add,
  Sub: sub,
  Mul: mul,
  Div: div,
  Pow: pow,
  Where: where,
  ...unaryRules,
};
