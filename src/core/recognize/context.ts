import type { Atom } from '../coupling/atoms';
import type { AxisAnalysis } from '../coupling/axisAnalysis';
import type { Graph } from '../graph/graph';
import type { ProbedValue } from '../graph/probe';
import type { Linear } from './linears';

/** What the structure recognizers share: the graph, the axis analysis, probe results and the embedding class. */
export interface RecognizeContext {
  graph: Graph;
  analysis: AxisAnalysis;
  probed: Map<string, ProbedValue>;
  isStatic: (value: string) => boolean;
  /** The embedding dimension's atom class (the residual stream's last axis). */
  D: Atom;
  linears: Linear[];
  linearByMatmul: Map<string, Linear>;
}

/** True when the value's last axis is the embedding dimension. */
export function carriesD(ctx: RecognizeContext, value: string): boolean {
  const axes = ctx.analysis.axes(value);
  return axes.length > 0 && ctx.analysis.table.find(axes[axes.length - 1]) === ctx.D;
}

export function probedDims(ctx: RecognizeContext, value: string): number[] {
  return ctx.probed.get(value)?.dims ?? ctx.analysis.dims(value);
}

/** The scalar content of a static value (a constant or computed from shapes), if it is one number. */
export function staticScalar(ctx: RecognizeContext, value: string): number | undefined {
  const p = ctx.probed.get(value);
  if (p?.values && p.values.length === 1) return p.values[0];
  const t = ctx.graph.constantTensor(value);
  if (t) {
    const v = ctx.graph.constantNumbers(value);
    if (v && v.length === 1) return v[0];
  }
  return undefined;
}
