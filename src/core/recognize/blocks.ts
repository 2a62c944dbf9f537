import { SubcloneError } from '../errors';
import { nodeLabel } from '../graph/attributes';
import type { NodeProto } from '../onnx/proto';
import { recognizeAttention, type FoundAttention } from './attention';
import { ancestorNodes, descendantNodes, throughNoOps, TRANSPARENT_OPS } from './graphWalk';
import type { Linear } from './linears';
import { weightInitializer } from './linears';
import { recognizeMlp, type FoundMlp } from './mlp';
import { recognizeNorm } from './norms';
import { carriesD, type RecognizeContext } from './context';
import type { NormInfo } from './transformerMap';

export interface FoundBlock {
  index: number;
  /** The stream entering the block, as the block reads it, and that value with no-op casts looked through. */
  input: string;
  output: string;
  mid: string | null;
  attention: FoundAttention;
  mlp: FoundMlp;
  attnNorm: NormInfo | null;
  mlpNorm: NormInfo | null;
  /** The adds that put each update into the stream (one add for both in some parallel blocks). */
  attnAdd: NodeProto;
  mlpAdd: NodeProto;
  attnUpdate: string;
  mlpUpdate: string;
}

export interface FoundBlocks {
  blocks: FoundBlock[];
  placement: 'pre' | 'post';
  parallel: boolean;
}

interface ResidualAdd {
  node: NodeProto;
  skip: string;
  update: string;
  sources: Linear[];
}

/**
 * Finds the residual stream and cuts it into blocks: every Add that puts the output of a projection back into
 * the D-wide stream is a residual add; attention adds (a softmax upstream) and MLP adds pair up into blocks.
 */
export function recognizeBlocks(ctx: RecognizeContext): FoundBlocks {
  const exits = ctx.linears.filter((l) => l.outClass === ctx.D && l.inClass !== ctx.D);
  const exitByValue = new Map<string, Linear>();
  for (const l of exits) {
    exitByValue.set(l.output, l);
    exitByValue.set(l.matmul.output[0], l);
  }
  const memo = new Map<string, Linear[]>();
  const sourcesOf = (value: string, depth = 0): Linear[] => {
    const cached = memo.get(value);
    if (cached) return cached;
    let result: Linear[] = [];
    const exit = exitByValue.get(value);
    if (exit) result = [exit];
    else if (depth < 12) {
      const p = ctx.graph.producer(value);
      if (p) {
        const dynamic = p.input.filter((i) => i && !ctx.isStatic(i) && !weightInitializer(ctx.graph, i));
        if ((TRANSPARENT_OPS.has(p.opType) || p.opType === 'Mul' || p.opType === 'Div') && dynamic.length === 1) {
          result = sourcesOf(dynamic[0], depth + 1);
        } else if (p.opType === 'Add' && dynamic.length === 2) {
          const a = sourcesOf(dynamic[0], depth + 1);
          const b = sourcesOf(dynamic[1], depth + 1);
          if (a.length && b.length) result = [...a, ...b];
        }
      }
    }
    memo.set(value, result);
    return result;
  };

  const adds: ResidualAdd[] = [];
  for (const node of ctx.graph.nodes) {
    if (node.opType !== 'Add' || ctx.isStatic(node.output[0]) || !carriesD(ctx, node.output[0])) continue;
    const [a, b] = node.input;
    if (!carriesD(ctx, a) || !carriesD(ctx, b)) continue;
    if ([a, b].some((x) => ctx.isStatic(x) || weightInitializer(ctx.graph, x))) continue;
    const sa = sourcesOf(a);
    const sb = sourcesOf(b);
    if (sa.length && !sb.length) adds.push({ node, skip: b, update: a, sources: sa });
    else if (sb.length && !sa.length) adds.push({ node, skip: a, update: b, sources: sb });
  }
  if (adds.length === 0) {
    throw new SubcloneError('Unsupported', 'not a transformer: found an embedding but no residual connections (x + f(x)) around attention and MLP blocks');
  }

  const attentionCache = new Map<Linear, boolean>();
  const isAttention = (l: Linear) => {
    let r = attentionCache.get(l);
    if (r === undefined) {
      r = ancestorNodes(ctx.graph, l.input, (v) => carriesD(ctx, v), ctx.isStatic, 600).some((n) => n.opType === 'Softmax');
      attentionCache.set(l, r);
    }
    return r;
  };

  const blocks: FoundBlock[] = [];
  let placement: 'pre' | 'post' | undefined;
  let parallel = false;
  for (let i = 0; i < adds.length; ) {
    const a = adds[i];
    const attnSources = a.sources.filter(isAttention);
    const mlpSources = a.sources.filter((l) => !isAttention(l));
    let attnAdd: ResidualAdd;
    let mlpAdd: ResidualAdd;
    let attnExit: Linear;
    let mlpExit: Linear;
    if (attnSources.length === 1 && mlpSources.length === 1) {
      attnAdd = mlpAdd = a;
      [attnExit, mlpExit] = [attnSources[0], mlpSources[0]];
      parallel = true;
      i += 1;
    } else if (attnSources.length === 1 && mlpSources.length === 0) {
      const b = adds[i + 1];
      const bMlp = b?.sources.filter((l) => !isAttention(l)) ?? [];
      if (!b || bMlp.length !== 1 || b.sources.length !== 1) {
        throw new SubcloneError('Unsupported', `the attention added by ${nodeLabel(a.node)} is not followed by an MLP`);
      }
      [attnAdd, mlpAdd, attnExit, mlpExit] = [a, b, attnSources[0], bMlp[0]];
      i += 2;
    } else {
      throw new SubcloneError('Unsupported', `the residual add ${nodeLabel(a.node)} does not start a block (attention then MLP)`);
    }
    const attention = recognizeAttention(ctx, attnExit);
    const mlp = recognizeMlp(ctx, mlpExit);
    const input = throughNoOps(ctx.graph, attnAdd.skip);
    const post = attnAdd !== mlpAdd && throughNoOps(ctx.graph, mlpAdd.skip) !== attnAdd.node.output[0] && recognizeNorm(ctx, attnAdd.node.output[0], mlpAdd.skip) !== null;
    const blockPlacement = post ? 'post' : 'pre';
    if (placement && placement !== blockPlacement) throw new SubcloneError('Unsupported', 'blocks mix pre- and post-normalisation');
    placement = blockPlacement;
    if (attnAdd !== mlpAdd && !post && reads(ctx, mlp.up.input, input) && !reads(ctx, mlp.up.input, attnAdd.node.output[0])) parallel = true;
    blocks.push({
      index: blocks.length,
      input,
      output: mlpAdd.node.output[0],
      mid: attnAdd === mlpAdd ? null : post ? mlpAdd.skip : attnAdd.node.output[0],
      attention,
      mlp,
      attnNorm: null,
      mlpNorm: null,
      attnAdd: attnAdd.node,
      mlpAdd: mlpAdd.node,
      attnUpdate: attnAdd.update,
      mlpUpdate: mlpAdd.update,
    });
  }
  const isPost = placement === 'post';
  blocks.forEach((b, i) => {
    if (isPost) {
      b.output = i + 1 < blocks.length ? blocks[i + 1].input : normOutputAfter(ctx, b.mlpAdd.output[0]) ?? b.output;
      b.attnNorm = recognizeNorm(ctx, b.attnAdd.output[0], b.mid!);
      b.mlpNorm = recognizeNorm(ctx, b.mlpAdd.output[0], b.output);
    } else {
      b.attnNorm = recognizeNorm(ctx, b.input, b.attention.q.input);
      b.mlpNorm = recognizeNorm(ctx, parallel ? b.input : b.mid ?? b.input, b.mlp.up.input);
    }
  });
  return { blocks, placement: placement ?? 'pre', parallel };
}

/** True when `value` is computed from `source` without passing another D-wide stream point. */
function reads(ctx: RecognizeContext, value: string, source: string): boolean {
  if (value === source) return true;
  return ancestorNodes(ctx.graph, value, (v) => v === source, ctx.isStatic, 80).some((n) => n.input.includes(source));
}

/** For post-norm blocks: the normalised stream after a residual add (end of its LayerNorm). */
export function normOutputAfter(ctx: RecognizeContext, value: string): string | undefined {
  const nodes = descendantNodes(ctx.graph, value, () => false, 30);
  for (const n of nodes) {
    const out = n.output[0];
    if (!out || !carriesD(ctx, out)) continue;
    if (n.opType === 'LayerNormalization') return out;
    if ((n.opType === 'Mul' || n.opType === 'Add') && n.input.some((i) => ctx.graph.initializer(weightInitializer(ctx.graph, i) ?? ''))) {
      if (!recognizeNorm(ctx, value, out)) continue;
      const next = ctx.graph.consumers(out);
      const biasAdd = next.length === 1 && next[0].node.opType === 'Add' && next[0].node.input.some((i) => weightInitializer(ctx.graph, i)) ? next[0].node.output[0] : undefined;
      return biasAdd ?? out;
    }
  }
  return undefined;
}
