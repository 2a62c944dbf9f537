import { SubcloneError, throwIfAborted } from '../errors';
import { Graph } from '../graph/graph';
import type { OnnxModel } from '../onnx/onnxModel';
import { bytesToFloat32, tensorDims } from '../onnx/tensorValues';
import type { AxisMember, CouplingGroup, TransformerMap } from '../recognize/transformerMap';
import { positionUnits } from './axisUnits';
import type { ImportanceOptions } from './options';
import type { StatMeans } from './statSums';
import { storedTensor } from '../coupling/storedTensors';

/**
 * Data-free scores (a flagged fallback): each unit's mean |weight| over every tensor slice its coupling group
 * ties to it, each tensor normalised to mean 1 over its units so that norms' γ and wide projections weigh alike,
 * then averaged over the tensors. Embedding neurons get one score array per "point": the embeddings (point 0) and
 * each block's tensors (point b + 1; the final norm and head join the last). Heads are scored from the tensors
 * that carry query heads (Q's output side, O's input side); block magnitudes need activations and stay empty.
 */
export function weightScores(model: OnnxModel, map: TransformerMap, o: Pick<ImportanceOptions, 'signal' | 'onProgress'>): StatMeans {
  const L = map.blocks.length;
  const blockOf = new Map(map.params.map((p) => [p.name, p.block === null ? (p.component === 'embedding' ? 0 : L) : p.block + 1]));
  const group = (kind: CouplingGroup['kind'], block: number | null): CouplingGroup | undefined => map.groups.find((g) => g.kind === kind && g.block === block);
  const D = group('embedding', null);
  if (!D) throw new SubcloneError('Unsupported', 'the model has no embedding coupling group to score neurons by');
  const scored = map.groups.filter((g) => g.kind !== 'kvGroups');
  const total = scored.reduce((n, g) => n + g.members.length, 0);
  const graph = new Graph(model);
  let done = 0;
  const score = (g: CouplingGroup, m: AxisMember, unitOf: (units: Record<string, number>) => number | undefined, size: number) => {
    throwIfAborted(o.signal);
    const s = memberScores(graph, m, unitOf, size);
    o.onProgress?.({ stage: 'weights', done: ++done, total, tokens: 0, message: `weights of ${g.id}: ${m.tensor}` });
    return s;
  };
  const dUnit = (u: Record<string, number>) => u[D.id];
  const points = Array.from({ length: L + 1 }, (_, p) => averaged(D.members.filter((m) => (blockOf.get(m.tensor) ?? L) === p).map((m) => score(D, m, dUnit, D.size)), D.size));
  const ffn = map.blocks.map((b) => {
    const F = group('ffn', b.index);
    if (!F) throw new SubcloneError('Unsupported', `no coupling group for the FFN of block ${b.index}`);
    return averaged(F.members.map((m) => score(F, m, (u) => u[F.id], F.size)), F.size);
  });
  const heads = map.blocks.map((b) => {
    const H = group('heads', b.index);
    if (!H) throw new SubcloneError('Unsupported', `no coupling group for the heads of block ${b.index}`);
    const KV = group('kvGroups', b.index);
    const count = b.attention.heads;
    const headOf = (u: Record<string, number>) => (u[H.id] === undefined ? undefined : (KV ? u[KV.id] ?? 0 : 0) * H.size + u[H.id]);
    return averaged(H.members.map((m) => score(H, m, headOf, count)), count);
  });
  return { points, ffn, heads, relativeMagnitude: [], oneMinusCos: [] };
}

/** Mean |w| per unit over the member axis's positions of that unit, normalised to mean 1 over the units. */
function memberScores(graph: Graph, m: AxisMember, unitOf: (units: Record<string, number>) => number | undefined, size: number): Float64Array {
  const t = storedTensor(graph, m.tensor);
  const values = t ? bytesToFloat32(t.dataType, graph.model.tensorBytes(t), m.tensor) : undefined;
  if (!t || !values) throw new SubcloneError('BadModel', `coupled tensor ${m.tensor} is not a constant`);
  const dims = tensorDims(t);
  const len = dims[m.axis];
  const inner = dims.slice(m.axis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, m.axis).reduce((a, b) => a * b, 1);
  const perPosition = new Float64Array(len);
  for (let o = 0; o < outer; o++) {
    for (let p = 0; p < len; p++) {
      const base = (o * len + p) * inner;
      let s = 0;
      for (let i = 0; i < inner; i++) s += Math.abs(values[base + i]);
      perPosition[p] += s;
    }
  }
  const positions = positionUnits(m.expr);
  if (positions.length !== len) throw new SubcloneError('ShapeMismatch', `${m.tensor} axis ${m.axis} has ${len} positions, its coupling expression ${positions.length}`);
  const sum = new Float64Array(size);
  const count = new Float64Array(size);
  positions.forEach((units, p) => {
    const u = unitOf(units);
    if (u === undefined) return;
    sum[u] += perPosition[p];
    count[u] += outer * inner;
  });
  const mean = sum.map((s, u) => (count[u] ? s / count[u] : 0));
  const avg = mean.reduce((a, b) => a + b, 0) / size;
  return avg > 0 ? mean.map((v) => v / avg) : mean;
}

/** The element-wise mean of the members' scores (ones when a point has no tensor). */
function averaged(members: Float64Array[], size: number): number[] {
  if (members.length === 0) return new Array<number>(size).fill(1);
  return Array.from({ length: size }, (_, u) => members.reduce((s, m) => s + m[u], 0) / members.length);
}
