import { SubcloneError } from '../../errors';
import { attrInt, attrInts, attrString, nodeLabel } from '../../graph/attributes';
import { attr } from '../emitter';
import { dy0 } from './elementwise';
import type { RuleTable, VjpContext, VjpRule } from './rule';

interface ConvGeometry {
  spatial: number;
  kernel: number[];
  strides: number[];
  dilations: number[];
  begin: number[];
  end: number[];
}

function geometry(c: VjpContext): ConvGeometry {
  const n = c.node;
  const w = c.info(n.input[1]).dims;
  const spatial = w.length - 2;
  const autoPad = attrString(n, 'auto_pad') ?? 'NOTSET';
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID') {
    throw new SubcloneError('UnsupportedOp', `${nodeLabel(n)}: no gradient rule for Conv with auto_pad ${autoPad}`);
  }
  if (attrInt(n, 'group', 1) !== 1) throw new SubcloneError('UnsupportedOp', `${nodeLabel(n)}: no gradient rule for grouped Conv`);
  const ones = new Array<number>(spatial).fill(1);
  const pads = autoPad === 'VALID' ? new Array<number>(2 * spatial).fill(0) : attrInts(n, 'pads') ?? new Array<number>(2 * spatial).fill(0);
  return {
    spatial,
    kernel: w.slice(2),
    strides: attrInts(n, 'strides') ?? ones,
    dilations: attrInts(n, 'dilations') ?? ones,
    begin: pads.slice(0, spatial),
    end: pads.slice(spatial),
  };
}

/** Swaps the first two axes of a [A, B, spatial...] tensor. */
function swap01(rank: number): number[] {
  return [1, 0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];
}

/**
 * y = conv(x, w) + b (group 1). dw is itself a convolution of x by dy with strides and dilations exchanged (batch
 * as the channel axis); dx is the transposed convolution of dy by w.
 */
const conv: VjpRule = (c) => {
  const e = c.e;
  const [x, w, b] = c.node.input;
  const xDims = c.info(x).dims;
  const yDims = c.info(c.node.output[0]).dims;
  const g = geometry(c);
  const dy = dy0(c);
  const rank = xDims.length;
  let dx: string | undefined;
  let dw: string | undefined;
  if (c.needs(0)) {
    const outputPadding = g.kernel.map((k, i) => {
      const produced = g.strides[i] * (yDims[i + 2] - 1) + (k - 1) * g.dilations[i] + 1 - g.begin[i] - g.end[i];
      return xDims[i + 2] - produced;
    });
    dx = e.op('ConvTranspose', [dy, w], [
      attr.ints('strides', g.strides),
      attr.ints('dilations', g.dilations),
      attr.ints('pads', [...g.begin, ...g.end]),
      attr.ints('output_padding', outputPadding),
    ]);
  }
  if (c.needs(1)) {
    const full = e.op('Conv', [e.transpose(x, swap01(rank)), e.transpose(dy, swap01(rank))], [
      attr.ints('strides', g.dilations),
      attr.ints('dilations', g.strides),
      attr.ints('pads', [...g.begin, ...g.end]),
    ]);
    // [C, O, k'...] with k' >= k: keep the kernel's extent, then [O, C, k...].
    const axes = g.kernel.map((_, i) => i + 2);
    const cropped = e.op('Slice', [full, e.ints(g.kernel.map(() => 0)), e.ints(g.kernel), e.ints(axes)]);
    dw = e.transpose(cropped, swap01(rank));
  }
  const db = b && c.needs(2) ? e.reduceSum(dy, [0, ...Array.from({ length: g.spatial }, (_, i) => i + 2)], false) : undefined;
  return [dx, dw, db];
};

export const convRules: RuleTable = { Conv: conv };
