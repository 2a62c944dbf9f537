import { SubcloneError } from '../errors';
import type { NodeProto } from '../onnx/proto';
import { attrString, nodeLabel, opLabel } from '../graph/attributes';
import { ancestorNodes } from './graphWalk';
import type { Linear } from './linears';
import { carriesD, staticScalar, type RecognizeContext } from './context';
import type { Flavour } from './transformerMap';

export interface FoundMlp {
  up: Linear;
  gate: Linear | null;
  down: Linear;
  activation: Flavour['activation'];
  ffn: number;
}

const ACTIVATION_OPS = new Set(['Erf', 'Tanh', 'Sigmoid', 'Relu', 'Gelu', 'HardSigmoid', 'HardSwish', 'Elu', 'Selu', 'Softplus']);

/** Recognises the MLP feeding the down projection `down` (its input is the hidden activation). */
export function recognizeMlp(ctx: RecognizeContext, down: Linear): FoundMlp {
  const stop = (v: string) => carriesD(ctx, v);
  const nodes = ancestorNodes(ctx.graph, down.input, stop, ctx.isStatic, 200);
  const entries = [...new Set(nodes.filter((n) => ctx.linearByMatmul.has(n.name)).map((n) => ctx.linearByMatmul.get(n.name)!))].filter(
    (l) => l.inClass === ctx.D,
  );
  if (entries.length === 0 || entries.length > 2) {
    throw new SubcloneError('Unsupported', `the MLP before ${nodeLabel(down.matmul)} has ${entries.length} input projections; expected 1 or 2`);
  }
  const acts = nodes.filter((n) => ACTIVATION_OPS.has(n.opType));
  if (acts.length === 0) throw new SubcloneError('Unsupported', `no activation found in the MLP before ${nodeLabel(down.matmul)}`);
  let up = entries[0];
  let gate: Linear | null = null;
  if (entries.length === 2) {
    // The gate is the projection whose output goes through the nonlinearity; up is multiplied in directly.
    const throughAct = (l: Linear) => acts.some((a) => ancestorNodes(ctx.graph, a.output[0], (v) => v === l.output, ctx.isStatic, 30).some((n) => n.input.includes(l.output)));
    const [a, b] = entries;
    if (throughAct(a) && !throughAct(b)) [gate, up] = [a, b];
    else if (throughAct(b) && !throughAct(a)) [gate, up] = [b, a];
    else throw new SubcloneError('Unsupported', `cannot tell the gate from the up projection in the MLP before ${nodeLabel(down.matmul)}`);
  }
  return { up, gate, down, activation: activationOf(ctx, acts), ffn: down.inClass.size };
}

function activationOf(ctx: RecognizeContext, acts: NodeProto[]): Flavour['activation'] {
  const ops = new Set(acts.map((a) => a.opType));
  const gelu = acts.find((a) => a.opType === 'Gelu');
  if (gelu) return attrString(gelu, 'approximate') === 'tanh' ? 'gelu_tanh' : 'gelu_erf';
  if (ops.has('Erf')) return 'gelu_erf';
  if (ops.has('Tanh')) return 'gelu_tanh';
  if (ops.has('Sigmoid')) {
    const sig = acts.find((a) => a.opType === 'Sigmoid')!;
    const p = ctx.graph.producer(sig.input[0]);
    const k = p?.opType === 'Mul' ? p.input.map((i) => staticScalar(ctx, i)).find((x) => x !== undefined) : undefined;
    return k !== undefined && Math.abs(k - 1.702) < 0.01 ? 'gelu_sigmoid' : 'silu';
  }
  if (ops.has('Relu')) return 'relu';
  throw new SubcloneError('Unsupported', `activation ${[...new Set(acts.map(opLabel))].join('/')} is not supported yet`);
}
