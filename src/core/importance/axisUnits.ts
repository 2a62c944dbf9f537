import type { AxisExpr } from '../recognize/transformerMap';

/** For every position along an axis, the unit of each coupled group it belongs to. */
export type PositionUnits = Record<string, number>[];

/**
 * Expands an axis expression (transformerMap's AxisExpr) into its positions, major to minor: a product varies its
 * last part fastest, a concatenation lists its parts in order.
 */
export function positionUnits(expr: AxisExpr): PositionUnits {
  if ('group' in expr) return Array.from({ length: expr.size }, (_, u) => ({ [expr.group]: u }));
  if ('fixed' in expr) return Array.from({ length: expr.fixed }, () => ({}));
  if ('cat' in expr) return expr.cat.flatMap(positionUnits);
  return expr.seq.reduce<PositionUnits>((acc, part) => {
    const inner = positionUnits(part);
    return acc.flatMap((outer) => inner.map((u) => ({ ...outer, ...u })));
  }, [{}]);
}
