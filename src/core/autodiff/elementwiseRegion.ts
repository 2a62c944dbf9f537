import { SubcloneError } from '../errors';
import { nodeLabel } from '../graph/attributes';
import type { NodeProto } from '../onnx/proto';
import type { Emitter } from './emitter';
import { sameDims, type TensorInfo } from './tensorInfo';

/**
 * A chain of elementwise ops y = f(x) with one varying input x (everything else scalar constants), whose inner
 * values nothing outside reads, e.g. GELU or SiLU written out as Mul/Add/Tanh/Pow nodes. Its gradient is
 * dx = dy · f'(x), with f'(x) built forward through the chain: fewer ops and no sum over x's many uses, which
 * per-op reverse rules would emit.
 */
export interface Region {
  entry: string;
  exit: NodeProto;
  /** The region's nodes in graph order (the exit last). */
  nodes: NodeProto[];
}

const ELEMENTWISE = new Set(['Identity', 'Neg', 'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Tanh', 'Sigmoid', 'Erf', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Relu']);
const MIN_NODES = 3;

export interface RegionLookup {
  info(value: string): TensorInfo | undefined;
  /** The value of a one-element constant, or undefined. */
  scalar(value: string): number | undefined;
  /** How many node inputs (and seeds) read a value. */
  uses(value: string): number;
}

/**
 * Finds single-entry elementwise regions among `nodes` (topologically sorted): each candidate exit, latest first,
 * grows backwards over producers whose outputs only the region reads. Nodes already in a region are not reused.
 */
export function findRegions(nodes: readonly NodeProto[], needed: Set<string>, look: RegionLookup): Map<NodeProto, Region> {
  const producer = new Map<string, NodeProto>();
  const order = new Map<NodeProto, number>();
  nodes.forEach((n, i) => {
    order.set(n, i);
    for (const o of n.output) if (o) producer.set(o, n);
  });
  const taken = new Set<NodeProto>();
  const regions = new Map<NodeProto, Region>();
  for (let k = nodes.length - 1; k >= 0; k--) {
    const exit = nodes[k];
    if (taken.has(exit) || !eligible(exit, look) || !needed.has(exit.output[0])) continue;
    const dims = look.info(exit.output[0])!.dims;
    const members = new Set<NodeProto>([exit]);
    for (let grown = true; grown; ) {
      grown = false;
      for (const n of members) {
        for (const v of n.input) {
          const p = producer.get(v);
          if (!p || members.has(p) || taken.has(p) || !eligible(p, look) || look.scalar(v) !== undefined) continue;
          if (!sameDims(look.info(v)!.dims, dims) || usesInside(v, members) < look.uses(v)) continue;
          members.add(p);
          grown = true;
        }
      }
    }
    const entries = new Set<string>();
    for (const n of members) {
      for (const v of n.input) if (!members.has(producer.get(v)!) && look.scalar(v) === undefined) entries.add(v);
    }
    if (members.size < MIN_NODES || entries.size !== 1) continue;
    const [entry] = entries;
    if (!needed.has(entry) || !sameDims(look.info(entry)?.dims ?? [], dims)) continue;
    for (const n of members) taken.add(n);
    regions.set(exit, { entry, exit, nodes: [...members].sort((a, b) => order.get(a)! - order.get(b)!) });
  }
  return regions;
}

function eligible(n: NodeProto, look: RegionLookup): boolean {
  if (!ELEMENTWISE.has(n.opType) || (n.domain && n.domain !== 'ai.onnx') || n.output.length !== 1) return false;
  if (n.opType === 'Pow' && look.scalar(n.input[1]) === undefined) return false;
  const out = look.info(n.output[0]);
  return !!out && n.input.every((v) => look.scalar(v) !== undefined || look.info(v)?.elem === out.elem);
}

function usesInside(value: string, members: Set<NodeProto>): number {
  let count = 0;
  for (const n of members) for (const v of n.input) if (v === value) count++;
  return count;
}

/** A tangent c·t + k (t a tensor, or absent for a constant). */
interface Tangent {
  c: number;
  t?: string;
  k: number;
}

/** Emits dx = dy · f'(x) for a region. */
export function emitRegionGradient(e: Emitter, region: Region, dy: string, elem: number, scalar: (v: string) => number | undefined): string {
  const cse = new Map<string, string>();
  for (const n of region.nodes) cse.set(key(n.opType, n.input), n.output[0]);
  const op = (type: string, inputs: string[]): string => {
    const k = key(type, inputs);
    let out = cse.get(k);
    if (!out) cse.set(k, (out = e.op(type, inputs)));
    return out;
  };
  const num = (v: number) => e.scalar(v, elem);
  const materialize = (T: Tangent): string => {
    if (!T.t) return num(T.k);
    let out = T.c === 1 ? T.t : op('Mul', [T.t, num(T.c)]);
    if (T.k !== 0) out = op('Add', [out, num(T.k)]);
    return out;
  };
  const scale = (T: Tangent, s: number): Tangent => ({ c: T.c * s, ...(T.t ? { t: T.t } : {}), k: T.k * s });
  const times = (T: Tangent, v: string): Tangent => {
    if (!T.t) return { c: T.k, t: v, k: 0 };
    if (T.k === 0) return { c: T.c, t: op('Mul', [T.t, v]), k: 0 };
    return { c: 1, t: op('Mul', [materialize(T), v]), k: 0 };
  };
  const plus = (A: Tangent, B: Tangent): Tangent => {
    if (!A.t) return { ...B, k: A.k + B.k };
    if (!B.t) return { ...A, k: A.k + B.k };
    if (A.t === B.t) return { c: A.c + B.c, t: A.t, k: A.k + B.k };
    if (A.c === B.c) return { c: A.c, t: op('Add', [A.t, B.t]), k: A.k + B.k };
    return { c: B.c, t: op('Add', [op('Mul', [A.t, num(A.c / B.c)]), B.t]), k: A.k + B.k };
  };
  const tangents = new Map<string, Tangent>([[region.entry, { c: 0, k: 1 }]]);
  const T = (v: string): Tangent => tangents.get(v) ?? { c: 0, k: 0 }; // constants do not vary
  for (const n of region.nodes) {
    const [a, b] = n.input;
    const y = n.output[0];
    const ka = scalar(a);
    const kb = b === undefined ? undefined : scalar(b);
    let t: Tangent;
    switch (n.opType) {
      case 'Identity': t = T(a); break;
      case 'Neg': t = scale(T(a), -1); break;
      case 'Add': t = plus(T(a), T(b)); break;
      case 'Sub': t = plus(T(a), scale(T(b), -1)); break;
      case 'Mul':
        if (kb !== undefined) t = scale(T(a), kb);
        else if (ka !== undefined) t = scale(T(b), ka);
        else if (a === b) t = scale(times(T(a), a), 2);
        else t = plus(times(T(a), b), times(T(b), a));
        break;
      case 'Div':
        if (kb !== undefined) t = scale(T(a), 1 / kb);
        else t = plus(ka !== undefined ? { c: 0, k: 0 } : times(T(a), op('Reciprocal', [b])), scale(times(T(b), op('Div', [y, b])), -1));
        break;
      case 'Pow': {
        const p = kb!;
        const base = p === 2 ? a : p === 3 ? op('Mul', [a, a]) : op('Pow', [a, num(p - 1)]);
        t = p === 1 ? T(a) : scale(times(T(a), base), p);
        break;
      }
      case 'Tanh': t = times(T(a), op('Sub', [num(1), op('Mul', [y, y])])); break;
      case 'Sigmoid': t = times(T(a), op('Mul', [y, op('Sub', [num(1), y])])); break;
      case 'Erf': t = scale(times(T(a), op('Exp', [op('Neg', [op('Mul', [a, a])])])), 2 / Math.sqrt(Math.PI)); break;
      case 'Exp': t = times(T(a), y); break;
      case 'Log': t = times(T(a), op('Reciprocal', [a])); break;
      case 'Sqrt': t = scale(times(T(a), op('Reciprocal', [y])), 0.5); break;
      case 'Reciprocal': t = scale(times(T(a), op('Mul', [y, y])), -1); break;
      case 'Relu': t = times(T(a), e.cast(op('Greater', [a, num(0)]), elem)); break;
      default: throw new SubcloneError('UnsupportedOp', `no tangent rule for ${nodeLabel(n)}`);
    }
    tangents.set(y, t);
  }
  const out = T(region.exit.output[0]);
  if (!out.t) return op('Mul', [dy, num(out.k)]);
  if (out.k === 0) return out.c === 1 ? op('Mul', [dy, out.t]) : op('Mul', [op('Mul', [dy, out.t]), num(out.c)]);
  return op('Mul', [dy, materialize(out)]);
}

/** A key for common-subexpression reuse (Add and Mul commute). */
function key(type: string, inputs: readonly string[]): string {
  const args = type === 'Add' || type === 'Mul' ? [...inputs].sort() : inputs;
  return `${type}(${args.join(',')})`;
}
