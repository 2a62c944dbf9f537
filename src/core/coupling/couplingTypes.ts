/** The vocabulary of coupling analysis: axis expressions, the axes and baked constants that carry groups, and the polynomials over group sizes. */

/**
 * What one tensor axis is made of, major to minor: a coupled group's units, a fixed-size factor, a product
 * (row-major: the last part varies fastest) or a concatenation. Unit u of group g at position k of a product
 * `{ seq: [{group: g, size: n}, {size: m}] }` sits at u*m + k. Slicing a group keeps the chosen units everywhere
 * its expression appears.
 */
export type AxisExpr =
  | { group: string; size: number }
  | { fixed: number }
  | { seq: AxisExpr[] }
  | { cat: AxisExpr[] };

/** An initializer (or Constant node output) axis, or a graph input/output axis, that carries coupled groups. */
export interface AxisMember {
  tensor: string;
  axis: number;
  expr: AxisExpr;
}

/** A polynomial over group sizes: the sum of `coeff * Π size(group)^exp` over its terms. */
export interface Poly {
  terms: { coeff: number; factors: Record<string, number> }[];
}

/**
 * A number baked into a constant that must follow group sizes: element `element` of the constant feeding input
 * `input` of node `node` equals `value` evaluated at the groups' sizes (Reshape targets, Split sizes, Expand
 * shapes, Slice bounds). Clone the constant for this use before editing it: constants are shared.
 */
export interface ConstantMember {
  node: string;
  input: number;
  element: number;
  value: Poly;
}

/**
 * Sizes the graph itself ties together: it computes a shape from another tensor's shape (a nanoGPT-style
 * `view(B, T, C)` takes the merged heads width from the residual width), so the two polynomials must stay equal
 * in any destination shape.
 */
export interface ShapeConstraint {
  left: Poly;
  right: Poly;
  node: string;
}
