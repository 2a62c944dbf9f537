import { SubcloneError } from '../errors';
import { nodeLabel } from '../graph/attributes';
import type { Atom } from '../coupling/atoms';
import type { NodeProto } from '../onnx/proto';
import { ancestorNodes } from './graphWalk';
import type { Linear } from './linears';
import { carriesD, probedDims, staticScalar, type RecognizeContext } from './context';

/** An attention sub-block as found in the graph. */
export interface FoundAttention {
  q: Linear;
  k: Linear;
  v: Linear;
  o: Linear;
  scoresMatMul: NodeProto;
  softmax: NodeProto;
  pvMatMul: NodeProto;
  /** Atom classes of the query-head axis, major to minor: [H] (MHA) or [KV groups, heads per group] (GQA). */
  headAtoms: Atom[];
  kvAtom: Atom | null;
  heads: number;
  kvHeads: number;
  headDim: number;
  scale: { value: number; constant: string | null } | null;
  /** Rotary position embedding detected on the query path. */
  rotary: boolean;
  /** Static float initializers feeding the rotary tables (cos/sin caches or inverse frequencies). */
  rotaryTables: string[];
}

/** Recognises the attention that feeds the output projection `o` (its input is the per-head context). */
export function recognizeAttention(ctx: RecognizeContext, o: Linear): FoundAttention {
  const stop = (v: string) => carriesD(ctx, v);
  const nodes = ancestorNodes(ctx.graph, o.input, stop, ctx.isStatic, 600);
  const softmaxes = nodes.filter((n) => n.opType === 'Softmax');
  if (softmaxes.length !== 1) {
    throw new SubcloneError('Unsupported', `the attention before ${nodeLabel(o.matmul)} has ${softmaxes.length} softmax ops; expected one`);
  }
  const softmax = softmaxes[0];
  const isLinear = (n: NodeProto) => ctx.linearByMatmul.has(n.name);
  const pvMatMul = nodes.find(
    (n) => n.opType === 'MatMul' && !isLinear(n) && ancestorNodes(ctx.graph, n.input[0], stop, ctx.isStatic, 20).includes(softmax),
  ) ?? nodes.find((n) => n.opType === 'MatMul' && !isLinear(n) && n.input[0] === softmax.output[0]);
  const softmaxAncestors = ancestorNodes(ctx.graph, softmax.input[0], stop, ctx.isStatic, 400);
  const scoresMatMul = softmaxAncestors.find((n) => n.opType === 'MatMul' && !isLinear(n));
  if (!pvMatMul || !scoresMatMul) {
    throw new SubcloneError('Unsupported', `cannot find the score and value products of the attention before ${nodeLabel(o.matmul)}`);
  }
  const linearOn = (value: string, role: string): Linear => {
    const found = ancestorNodes(ctx.graph, value, stop, ctx.isStatic, 400).filter(isLinear).map((n) => ctx.linearByMatmul.get(n.name)!);
    const entries = [...new Set(found.filter((l) => l.inClass === ctx.D))];
    if (entries.length !== 1) {
      throw new SubcloneError('Unsupported', `the ${role} path of the attention before ${nodeLabel(o.matmul)} comes from ${entries.length} projections; expected one`);
    }
    return entries[0];
  };
  const q = linearOn(scoresMatMul.input[0], 'query');
  const k = linearOn(scoresMatMul.input[1], 'key');
  const v = linearOn(pvMatMul.input[1], 'value');

  const pvDims = probedDims(ctx, pvMatMul.output[0]);
  const headDim = pvDims[pvDims.length - 1];
  const contextLeaves = ctx.analysis.leaves(o.input, -1);
  const last = contextLeaves[contextLeaves.length - 1];
  if (!last || last.size !== headDim) {
    throw new SubcloneError('Unsupported', `the context entering ${nodeLabel(o.matmul)} is not laid out heads × head_dim (head_dim ${headDim})`);
  }
  const headAtoms = contextLeaves.slice(0, -1);
  const heads = headAtoms.reduce((n, a) => n * a.size, 1);
  const kAtoms = atomsIn(ctx, k.weight, k.outAxis);
  let kvAtom: Atom | null = null;
  let kvHeads = heads;
  if (headAtoms.length === 2 && kAtoms.has(headAtoms[0]) && !kAtoms.has(headAtoms[1])) {
    kvAtom = headAtoms[0];
    kvHeads = kvAtom.size;
  } else if (headAtoms.length === 1 && !kAtoms.has(headAtoms[0])) {
    kvHeads = 1; // multi-query attention: one shared key/value head
  } else if (headAtoms.length > 2 || (headAtoms.length === 2 && !kvAtom)) {
    throw new SubcloneError('Unsupported', `cannot tell the head layout of the attention before ${nodeLabel(o.matmul)}`);
  }
  const rotaryNodes = ancestorNodes(ctx.graph, scoresMatMul.input[0], stop, ctx.isStatic, 400);
  const rotary = rotaryNodes.some((n) => n.opType === 'Neg') && rotaryNodes.some((n) => n.opType === 'Concat' || n.opType === 'Slice');
  return {
    q, k, v, o, scoresMatMul, softmax, pvMatMul, headAtoms, kvAtom, heads, kvHeads, headDim,
    scale: findScale(ctx, scoresMatMul, softmax, [...softmaxAncestors, ...rotaryNodes]),
    rotary,
    rotaryTables: rotary ? rotaryTables(ctx, rotaryNodes) : [],
  };
}

/** The atom classes an initializer axis is made of (all levels of its expression). */
export function atomsIn(ctx: RecognizeContext, tensor: string, axis: number): Set<Atom> {
  const out = new Set<Atom>();
  const visit = (a: Atom) => {
    const r = ctx.analysis.table.find(a);
    out.add(r);
    r.def?.parts.forEach(visit);
  };
  visit(ctx.analysis.classOf(tensor, axis));
  return out;
}

/** The product of static scalars multiplying or dividing the scores (and the q/k paths), and its constant. */
function findScale(ctx: RecognizeContext, scores: NodeProto, softmax: NodeProto, nodes: NodeProto[]): { value: number; constant: string | null } | null {
  let value = 1;
  let constant: string | null = null;
  let found = false;
  for (const n of nodes) {
    if (n.opType !== 'Mul' && n.opType !== 'Div') continue;
    if (n === softmax || n === scores) continue;
    const s = n.input.find((i) => ctx.isStatic(i) && ctx.analysis.dims(i).reduce((a, b) => a * b, 1) === 1);
    if (!s) continue;
    const x = staticScalar(ctx, s);
    if (x === undefined || x === 0 || x === 1) continue;
    // A mask added later is not a scale; only scalars on the path into the softmax or q/k count.
    value *= n.opType === 'Div' && n.input[1] === s ? 1 / x : x;
    found = true;
    if (ctx.graph.constantTensor(s)) constant = s;
  }
  return found ? { value, constant } : null;
}

function rotaryTables(ctx: RecognizeContext, nodes: NodeProto[]): string[] {
  const out = new Set<string>();
  const seen = new Set<string>();
  const visit = (v: string, depth: number) => {
    if (seen.has(v) || depth > 40 || !ctx.isStatic(v)) return;
    seen.add(v);
    if (ctx.graph.constantTensor(v)) {
      const dims = ctx.analysis.dims(v);
      if (dims.length >= 1 && dims.length <= 2 && dims.reduce((a, b) => a * b, 1) > 1) out.add(v);
      return;
    }
    const p = ctx.graph.producer(v);
    if (p) for (const i of p.input) if (i) visit(i, depth + 1);
  };
  for (const n of nodes) if (n.opType === 'Mul') for (const i of n.input) if (ctx.isStatic(i)) visit(i, 0);
  return [...out];
}
