import { SubcloneError, throwIfAborted } from '../errors';
import { Graph } from '../graph/graph';
import type { OnnxModel } from '../onnx/onnxModel';
import { tensorDims } from '../onnx/tensorValues';
import type { AxisMember, CouplingGroup, TransformerMap } from '../recognize/transformerMap';
import { positionUnits } from './axisUnits';
import type { ImportanceOptions } from './options';
import type { StatMeans } from './statSums';
import { storedTensor } from '../coupling/storedTensors';
import { quote } from '../quote';

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
  const sums = new AxisSums(graph, scored);
  let done = 0;
  const score = (g: CouplingGroup, m: AxisMember, unitOf: (units: Record<string, number>) => number | undefined, size: number) => {
    throwIfAborted(o.signal);
    const s = memberScores(sums, m, unitOf, size);
    o.onProgress?.({ stage: 'weights', done: ++done, total, tokens: 0, message: `weights of ${g.id}: ${quote(m.tensor)}` });
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

/**
 * Sums of |w| per position along the coupled axes of each stored tensor, computed in one pass over the tensor for
 * all its coupled axes (a projection is read once for D and once more only if it were not cached) and then
 * dropped after use.
 */
class AxisSums {
  private readonly axes = new Map<string, Set<number>>();
  private readonly cache = new Map<string, Map<number, Float64Array>>();

  constructor(private readonly graph: Graph, groups: readonly CouplingGroup[]) {
    for (const g of groups) {
      for (const m of g.members) {
        let set = this.axes.get(m.tensor);
        if (!set) this.axes.set(m.tensor, (set = new Set()));
        set.add(m.axis);
      }
    }
  }

  /** Per-position sums of |w| along `axis`, and the element count each position covers. */
  get(tensor: string, axis: number): { perPosition: Float64Array; perCount: number; len: number } {
    let byAxis = this.cache.get(tensor);
    if (!byAxis) this.cache.set(tensor, (byAxis = this.compute(tensor)));
    const t = storedTensor(this.graph, tensor)!;
    const dims = tensorDims(t);
    const total = dims.reduce((a, b) => a * b, 1);
    return { perPosition: byAxis.get(axis)!, perCount: total / dims[axis], len: dims[axis] };
  }

  private compute(tensor: string): Map<number, Float64Array> {
    const t = storedTensor(this.graph, tensor);
    if (!t) throw new SubcloneError('BadModel', `coupled tensor ${quote(tensor)} is not a constant`);
    const dims = tensorDims(t);
    const wanted = [...(this.axes.get(tensor) ?? [])];
    const out = new Map<number, Float64Array>(wanted.map((a) => [a, new Float64Array(dims[a])]));
    // The weight is read a piece at a time (pieces need not end on a row), so a large one is never held whole.
    if (dims.length === 2) {
      const cols = dims[1];
      const rowSums = out.get(0);
      const colSums = out.get(1);
      let r = 0;
      let c = 0;
      let rs = 0;
      for (const values of this.graph.model.float32Chunks(t)) {
        for (let i = 0; i < values.length; i++) {
          const v = Math.abs(values[i]);
          rs += v;
          if (colSums) colSums[c] += v;
          if (++c === cols) {
            if (rowSums) rowSums[r] = rs;
            r++;
            c = 0;
            rs = 0;
          }
        }
      }
      return out;
    }
    const strides = dims.map((_, i) => dims.slice(i + 1).reduce((a, b) => a * b, 1));
    let at = 0;
    for (const values of this.graph.model.float32Chunks(t)) {
      for (let i = 0; i < values.length; i++) {
        const v = Math.abs(values[i]);
        for (const a of wanted) out.get(a)![Math.floor((at + i) / strides[a]) % dims[a]] += v;
      }
      at += values.length;
    }
    return out;
  }
}

/** Mean |w| per unit over the member axis's positions of that unit, normalised to mean 1 over the units. */
function memberScores(sums: AxisSums, m: AxisMember, unitOf: (units: Record<string, number>) => number | undefined, size: number): Float64Array {
  const { perPosition, perCount, len } = sums.get(m.tensor, m.axis);
  const positions = positionUnits(m.expr);
  if (positions.length !== len) throw new SubcloneError('ShapeMismatch', `${quote(m.tensor)} axis ${m.axis} has ${len} positions, its coupling expression ${positions.length}`);
  const sum = new Float64Array(size);
  const count = new Float64Array(size);
  positions.forEach((units, p) => {
    const u = unitOf(units);
    if (u === undefined) return;
    sum[u] += perPosition[p];
    count[u] += perCount;
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
