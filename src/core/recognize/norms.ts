import type { NodeProto } from '../onnx/proto';
import { attrFloat } from '../graph/attributes';
import { ancestorNodes } from './graphWalk';
import { weightInitializer } from './linears';
import { type RecognizeContext, staticScalar } from './context';
import type { NormInfo } from './transformerMap';

const REDUCERS = new Set(['ReduceMean', 'ReduceSum', 'ReduceL2', 'ReduceSumSquare']);
const FUSED = new Set(['LayerNormalization', 'RMSNormalization', 'SimplifiedLayerNormalization']);

/**
 * Recognises the normalisation between two points of a block (fused op or the exporter's decomposition), or
 * returns null when `to` is `from` passed through no-op ops only. LayerNorm subtracts a mean; RMSNorm does not.
 */
export function recognizeNorm(ctx: RecognizeContext, from: string, to: string): NormInfo | null {
  if (from === to) return null;
  const nodes = ancestorNodes(ctx.graph, to, (v) => v === from, ctx.isStatic, 60);
  if (!nodes.some((n) => n.input.includes(from))) return null;
  const fused = nodes.find((n) => FUSED.has(n.opType));
  if (fused) {
    const kind = fused.opType === 'LayerNormalization' ? 'layernorm' : 'rmsnorm';
    return {
      kind,
      weight: weightInitializer(ctx.graph, fused.input[1]) ?? null,
      bias: fused.input[2] ? weightInitializer(ctx.graph, fused.input[2]) ?? null : null,
      epsilon: attrFloat(fused, 'epsilon', 1e-5),
      input: from,
      output: to,
    };
  }
  if (!nodes.some((n) => REDUCERS.has(n.opType))) return null;
  let weight: string | null = null;
  let bias: string | null = null;
  for (const n of nodes) {
    for (const input of n.input) {
      const init = weightInitializer(ctx.graph, input);
      if (!init || ctx.analysis.axes(init).length !== 1) continue;
      if (ctx.analysis.classOf(init, 0) !== ctx.D) continue;
      if (n.opType === 'Mul') weight = init;
      else if (n.opType === 'Add') bias = init;
    }
  }
  const meanOfInput = nodes.some(
    (n) => n.opType === 'Sub' && nodes.some((r) => r.opType === 'ReduceMean' && r.output[0] === n.input[1]),
  );
  return {
    kind: meanOfInput ? 'layernorm' : 'rmsnorm',
    weight,
    bias,
    epsilon: epsilonOf(ctx, nodes) ?? (meanOfInput ? 1e-5 : 1e-6),
    input: from,
    output: to,
  };
}

/** The scalar added to the variance before the square root. */
function epsilonOf(ctx: RecognizeContext, nodes: NodeProto[]): number | undefined {
  const reduced = new Set(nodes.filter((n) => REDUCERS.has(n.opType)).map((n) => n.output[0]));
  for (const n of nodes) {
    if (n.opType !== 'Add') continue;
    const [a, b] = n.input;
    if (reduced.has(a) && ctx.isStatic(b)) return staticScalar(ctx, b);
    if (reduced.has(b) && ctx.isStatic(a)) return staticScalar(ctx, a);
  }
  return undefined;
}
