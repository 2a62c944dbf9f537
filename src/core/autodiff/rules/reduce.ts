import { attrInt, attrInts } from '../../graph/attributes';
import { normAxis } from '../tensorInfo';
import { dy0 } from './elementwise';
import type { RuleTable, VjpContext, VjpRule } from './rule';

/** The axes a Reduce* node reduces: the attribute (older opsets) or the constant second input. */
function reducedAxes(c: VjpContext, rank: number): number[] {
  const fromAttr = attrInts(c.node, 'axes');
  const fromInput = c.node.input[1] ? c.constant(1) : undefined;
  const axes = fromAttr ?? fromInput ?? [];
  if (axes.length === 0) {
    return attrInt(c.node, 'noop_with_empty_axes', 0) === 1 ? [] : Array.from({ length: rank }, (_, i) => i);
  }
  return axes.map((a) => normAxis(a, rank));
}

/** dx = expand(dy with the reduced axes restored as 1) (times 1/N for a mean). */
function reduceRule(mean: boolean): VjpRule {
  return (c) => {
    if (!c.needs(0)) return [undefined];
    const e = c.e;
    const x = c.info(c.node.input[0]);
    const axes = reducedAxes(c, x.dims.length);
    let g = dy0(c);
    if (axes.length === 0) return [g];
    if (mean) {
      const n = axes.reduce((p, a) => p * x.dims[a], 1);
      g = e.op('Mul', [g, e.scalar(1 / n, x.elem)]);
    }
    const kept = x.dims.map((d, i) => (axes.includes(i) ? 1 : d));
    if (attrInt(c.node, 'keepdims', 1) === 0) g = e.reshape(g, kept);
    return [e.op('Expand', [g, e.ints(x.dims)])];
  };
}

export const reduceRules: RuleTable = {
  ReduceSum: reduceRule(false),
  ReduceMean: reduceRule(true),
};
