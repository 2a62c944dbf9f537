import { SubcloneError } from '../errors';
import { nodeLabel } from '../graph/attributes';
import type { NodeProto } from '../onnx/proto';
import type { Emitter } from './emitter';
import { emitRegionGradient, findRegions } from './elementwiseRegion';
import { VJP_RULES, type VjpContext } from './rules';
import { describeInfo, isDifferentiableType, type InfoMap, type TensorInfo } from './tensorInfo';
import { quote } from '../quote';

export interface BackwardRequest {
  /** The forward nodes, topologically sorted; the backward pass may add optional outputs to them. */
  nodes: readonly NodeProto[];
  /** Values to differentiate with respect to (parameters, fed as graph inputs). */
  wrt: readonly string[];
  /** Where the backward pass starts: each value's incoming gradient (same shape and type as the value). */
  seeds: readonly { value: string; grad: string }[];
  /** Static shape and type of every forward value. */
  info: InfoMap;
  /** A small constant's values (initializers), for rules that read axes, bounds and indices. */
  constant(value: string): number[] | undefined;
  /** Whether a value is a constant (an initializer) of any size. */
  isConstant(value: string): boolean;
  emitter: Emitter;
}

export interface BackwardResult {
  /** The gradient value of each `wrt` entry that the seeds reach. */
  grads: Map<string, string>;
  /** `wrt` entries no seed depends on (their gradient is zero). */
  unreached: string[];
}

/**
 * Reverse-mode differentiation of a forward graph: visits the nodes between the `wrt` values and the seeds in
 * reverse order and emits each one's vector-Jacobian product with the op's rule, summing the gradients of values
 * used more than once. Chains of elementwise ops with one varying input (GELU, SiLU) are differentiated as a
 * whole (elementwiseRegion.ts). Precondition: shapes in `info` are static (the graph is specialised to its batch shape).
 * Throws UnsupportedOp naming the first node on a differentiable path that has no rule.
 */
export function appendBackward(req: BackwardRequest): BackwardResult {
  const { nodes, info, emitter: e } = req;
  const active = activeValues(nodes, req.wrt, info);
  const needed = neededValues(nodes, active, req.seeds.map((s) => s.value));
  const contributions = new Map<string, string[]>();
  const add = (value: string, grad: string) => {
    const list = contributions.get(value);
    if (list) list.push(grad);
    else contributions.set(value, [grad]);
  };
  const gradOf = (value: string): string | undefined => {
    const list = contributions.get(value);
    if (!list?.length) return undefined;
    if (list.length > 1) list.splice(0, list.length, e.op('Sum', list));
    return list[0];
  };
  for (const s of req.seeds) if (needed.has(s.value)) add(s.value, s.grad);
  const scalar = (v: string) => {
    const c = req.constant(v);
    return c?.length === 1 ? c[0] : undefined;
  };
  const regions = findRegions(nodes, needed, { info: (v) => info.get(v), scalar, uses: useCounter(nodes, req.seeds) });
  const inside = new Set([...regions.values()].flatMap((r) => r.nodes.filter((n) => n !== r.exit)));

  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k];
    if (inside.has(node) || !node.output.some((o) => needed.has(o) && contributions.has(o))) continue;
    const region = regions.get(node);
    if (region) {
      const dx = emitRegionGradient(e, region, gradOf(node.output[0])!, info.get(node.output[0])!.elem, scalar);
      add(region.entry, dx);
      continue;
    }
    const rule = !node.domain || node.domain === 'ai.onnx' ? VJP_RULES.get(node.opType) : undefined;
    if (!rule) {
      throw new SubcloneError('UnsupportedOp', `no gradient rule for ${nodeLabel(node)}, which lies between the parameters and the loss`);
    }
    const ctx: VjpContext = {
      e,
      node,
      opset: e.opset,
      info: (v) => lookup(info, v, node),
      dy: (i) => (node.output[i] && needed.has(node.output[i]) ? gradOf(node.output[i]) : undefined),
      needs: (i) => !!node.input[i] && needed.has(node.input[i]),
      constant: (i) => (node.input[i] ? req.constant(node.input[i]) : undefined),
      isConstant: (i) => !!node.input[i] && req.isConstant(node.input[i]),
      ensureOutput: (i, t) => ensureOutput(node, i, t, info, e),
    };
    const grads = rule(ctx);
    node.input.forEach((input, i) => {
      const g = grads[i];
      if (g && needed.has(input)) add(input, g);
    });
  }

  const grads = new Map<string, string>();
  const unreached: string[] = [];
  for (const w of req.wrt) {
    const g = needed.has(w) ? gradOf(w) : undefined;
    if (g) grads.set(w, g);
    else unreached.push(w);
  }
  return { grads, unreached };
}

/** How many node inputs and seeds read each value. */
function useCounter(nodes: readonly NodeProto[], seeds: readonly { value: string }[]): (value: string) => number {
  const uses = new Map<string, number>();
  const count = (v: string) => uses.set(v, (uses.get(v) ?? 0) + 1);
  for (const n of nodes) n.input.forEach(count);
  for (const s of seeds) count(s.value);
  return (v) => uses.get(v) ?? 0;
}

/** Float values that depend on a `wrt` value. */
function activeValues(nodes: readonly NodeProto[], wrt: readonly string[], info: InfoMap): Set<string> {
  const active = new Set(wrt);
  for (const node of nodes) {
    if (!node.input.some((i) => active.has(i))) continue;
    for (const o of node.output) {
      const t = o ? info.get(o) : undefined;
      if (t && isDifferentiableType(t.elem)) active.add(o);
    }
  }
  return active;
}

/** Active values some seed depends on. */
function neededValues(nodes: readonly NodeProto[], active: Set<string>, seeds: readonly string[]): Set<string> {
  const needed = new Set(seeds.filter((s) => active.has(s)));
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k];
    if (!node.output.some((o) => needed.has(o))) continue;
    for (const i of node.input) if (active.has(i)) needed.add(i);
  }
  return needed;
}

function lookup(info: InfoMap, value: string, node: NodeProto): TensorInfo {
  const t = info.get(value);
  if (!t) throw new SubcloneError('BadModel', `no static shape known for ${quote(value)} (used by ${nodeLabel(node)})`);
  return t;
}

function ensureOutput(node: NodeProto, i: number, t: TensorInfo, info: InfoMap, e: Emitter): string {
  const existing = node.output[i];
  if (existing) {
    const known = info.get(existing);
    if (known && known.elem !== t.elem) {
      throw new SubcloneError('BadModel', `${nodeLabel(node)} output ${i} is ${describeInfo(known)}, expected ${describeInfo(t)}`);
    }
    return existing;
  }
  while (node.output.length <= i) node.output.push('');
  const name = e.name(`${node.opType}_out${i}`);
  node.output[i] = name;
  info.set(name, t);
  return name;
}
