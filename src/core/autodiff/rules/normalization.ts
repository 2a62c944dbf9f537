import { attrInt } from '../../graph/attributes';
import { reduceTo } from '../broadcast';
import { normAxis } from '../tensorInfo';
import { dy0 } from './elementwise';
import type { RuleTable, VjpRule } from './rule';

// y = softmax(x): dx = y * (dy - sum(dy * y))
const softmax: VjpRule = (c) => {
  if (!c.needs(0)) return [undefined];
  const e = c.e;
  const y = c.node.output[0];
  const axis = normAxis(attrInt(c.node, 'axis', -1), c.info(y).dims.length);
  const dy = dy0(c);
  const dot = e.reduceSum(e.op('Mul', [dy, y]), [axis], true);
  return [e.op('Mul', [y, e.op('Sub', [dy, dot])])];
};

// y = log_softmax(x): dx = dy - exp(y) * sum(dy)
const logSoftmax: VjpRule = (c) => {
  if (!c.needs(0)) return [undefined];
  const e = c.e;
  const y = c.node.output[0];
  const axis = normAxis(attrInt(c.node, 'axis', -1), c.info(y).dims.length);
  const dy = dy0(c);
  return [e.op('Sub', [dy, e.op('Mul', [e.op('Exp', [y]), e.reduceSum(dy, [axis], true)])])];
};

/**
 * LayerNormalization (opset 17): y = xhat * scale + bias, xhat = (x - mean) * invstd over the axes from `axis` on.
 * Uses the node's optional Mean/InvStdDev outputs (added when absent; epsilon enters through InvStdDev):
 * dx = invstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * scale.
 */
const layerNorm: VjpRule = (c) => {
  const e = c.e;
  const n = c.node;
  const [x, scale, bias] = n.input;
  const xi = c.info(x);
  const rank = xi.dims.length;
  const axis = normAxis(attrInt(n, 'axis', -1), rank);
  const stash = attrInt(n, 'stash_type', 1);
  const statsDims = xi.dims.map((d, i) => (i < axis ? d : 1));
  const mean = c.ensureOutput(1, { dims: statsDims, elem: stash });
  const invStd = c.ensureOutput(2, { dims: statsDims, elem: stash });
  const normAxes = Array.from({ length: rank - axis }, (_, i) => axis + i);
  const inStash = (v: string, elem: number) => (elem === stash ? v : e.cast(v, stash));
  const dy = dy0(c);
  const yDims = c.info(n.output[0]).dims;
  const xhat = e.op('Mul', [e.op('Sub', [inStash(x, xi.elem), mean]), invStd]);
  const dyS = inStash(dy, xi.elem);
  let dx: string | undefined;
  if (c.needs(0)) {
    const g = e.op('Mul', [dyS, inStash(scale, c.info(scale).elem)]);
    const meanG = e.reduceMean(g, normAxes, true);
    const meanGX = e.reduceMean(e.op('Mul', [g, xhat]), normAxes, true);
    dx = e.op('Mul', [invStd, e.op('Sub', [e.op('Sub', [g, meanG]), e.op('Mul', [xhat, meanGX])])]);
    if (stash !== xi.elem) dx = e.cast(dx, xi.elem);
  }
  const back = (v: string, elem: number) => (elem === stash ? v : e.cast(v, elem));
  const dScale = c.needs(1) ? back(reduceTo(e, e.op('Mul', [dyS, xhat]), yDims, c.info(scale).dims), c.info(scale).elem) : undefined;
  const dBias = bias && c.needs(2) ? reduceTo(e, dy, yDims, c.info(bias).dims) : undefined;
  return [dx, dScale, dBias];
};

export const normalizationRules: RuleTable = {
  Softmax: softmax,
  LogSoftmax: logSoftmax,
  LayerNormalization: layerNorm,
};
