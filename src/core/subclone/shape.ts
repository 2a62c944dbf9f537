import { SubcloneError } from '../errors';
import { evalPoly, polyGroups } from '../coupling/poly';
import type { Poly } from '../recognize/transformerMap';
import type { AxisExpr, TransformerMap } from '../recognize/transformerMap';

/** A destination shape: depth, widths, heads. `ffn` may give one width per destination block. */
export interface SubcloneShape {
  layers: number;
  dModel: number;
  heads: number;
  kvHeads: number;
  ffn: number | number[];
}

export function parentShape(map: TransformerMap): SubcloneShape {
  return { layers: map.dims.layers, dModel: map.dims.dModel, heads: map.dims.heads, kvHeads: map.dims.kvHeads, ffn: map.dims.ffn };
}

/** "3L-96d-3h-384f" (with "-2kv" under grouped-query attention): the folder suffix of a subclone. */
export function shapeLabel(s: SubcloneShape): string {
  const ffn = Array.isArray(s.ffn) ? (s.ffn.every((f) => f === s.ffn[0 as never]) ? `${s.ffn[0]}f` : `${s.ffn.join('_')}f`) : `${s.ffn}f`;
  const kv = s.kvHeads !== s.heads ? `-${s.kvHeads}kv` : '';
  return `${s.layers}L-${s.dModel}d-${s.heads}h${kv}-${ffn}`;
}

/** The FFN width of each destination block. */
export function ffnPerBlock(s: SubcloneShape): number[] {
  return Array.isArray(s.ffn) ? s.ffn : Array.from({ length: s.layers }, () => s.ffn as number);
}

/**
 * Group sizes of a destination: D → d, and for each kept parent block b (the i-th kept): F<b> → its FFN width,
 * H<b> → query heads (per KV group under grouped-query attention), KV<b> → KV heads. Groups of removed blocks keep
 * their parent size (their tensors are gone anyway).
 */
export function groupSizes(map: TransformerMap, s: SubcloneShape, keptBlocks: readonly number[]): Record<string, number> {
  const sizes: Record<string, number> = Object.fromEntries(map.groups.map((g) => [g.id, g.size]));
  sizes.D = s.dModel;
  const ffn = ffnPerBlock(s);
  keptBlocks.forEach((b, i) => {
    if (`F${b}` in sizes) sizes[`F${b}`] = ffn[i];
    const kv = map.groups.find((g) => g.id === `KV${b}`);
    if (kv) {
      sizes[`KV${b}`] = s.kvHeads;
      if (`H${b}` in sizes) sizes[`H${b}`] = s.heads / s.kvHeads;
    } else if (`H${b}` in sizes) sizes[`H${b}`] = s.heads;
  });
  return sizes;
}

export interface ShapeCheck {
  ok: boolean;
  /** Each problem names the constraint and the nearest valid values. */
  problems: string[];
}

/** Blocks a polynomial's groups belong to (F3, H3, KV3 → 3). */
function blocksOf(p: Poly): number[] {
  return polyGroups(p).map((g) => /\d+$/.exec(g)).filter((m): m is RegExpExecArray => !!m).map((m) => Number(m[0]));
}

/**
 * Checks a destination shape against the parent before any work. `keptBlocks` (default: the first `layers`)
 * selects which blocks' constraints apply; constraints repeat per block, so any choice of blocks gives the same
 * verdict on exported models.
 */
export function checkShape(map: TransformerMap, s: SubcloneShape, keptBlocks?: readonly number[]): ShapeCheck {
  const d = map.dims;
  const problems: string[] = [];
  const parentFfn = Array.isArray(d.ffn) ? Math.min(...d.ffn) : d.ffn;
  const int = (name: string, v: number, max: number) => {
    if (!Number.isInteger(v) || v < 1) problems.push(`${name} must be a whole number ≥ 1 (got ${v})`);
    else if (v > max) problems.push(`${name} ${v} is larger than the parent's ${max}; at most ${max}`);
  };
  int('layers', s.layers, d.layers);
  int('d_model', s.dModel, d.dModel);
  int('heads', s.heads, d.heads);
  int('kv heads', s.kvHeads, d.kvHeads);
  const ffns = ffnPerBlock(s);
  if (ffns.length !== s.layers) problems.push(`ffn lists ${ffns.length} widths for ${s.layers} layers`);
  ffns.forEach((f) => int('ffn', f, parentFfn));
  if (problems.length) return { ok: false, problems };

  const ratio = d.heads / d.kvHeads;
  if (d.kvHeads === d.heads) {
    if (s.kvHeads !== s.heads) problems.push(`this model has no grouped-query attention: kv heads must equal heads (${s.heads})`);
  } else if (d.kvHeads === 1) {
    if (s.kvHeads !== 1) problems.push('this model has one shared key/value head (multi-query attention): kv heads must be 1');
  } else if (s.heads % s.kvHeads !== 0 || s.heads / s.kvHeads > ratio) {
    const options = [];
    for (let kv = 1; kv <= d.kvHeads; kv++) for (let r = 1; r <= ratio; r++) options.push({ kv, h: kv * r });
    const near = options.sort((a, b) => Math.abs(a.h - s.heads) - Math.abs(b.h - s.heads) || Math.abs(a.kv - s.kvHeads) - Math.abs(b.kv - s.kvHeads))[0];
    problems.push(
      `heads must be a multiple of kv heads with at most ${ratio} query heads per KV head (the parent groups ${d.heads} heads into ${d.kvHeads}); ` +
        `nearest valid: ${near.h} heads with ${near.kv} kv heads`,
    );
  }
  if (problems.length) return { ok: false, problems };

  const kept = keptBlocks ?? Array.from({ length: s.layers }, (_, i) => i);
  const keptSet = new Set(kept);
  const sizes = groupSizes(map, s, kept);
  for (const c of map.constraints) {
    if ([...blocksOf(c.left), ...blocksOf(c.right)].some((b) => !keptSet.has(b))) continue;
    if (evalPoly(c.left, sizes) === evalPoly(c.right, sizes)) continue;
    const headDim = d.headDim;
    const fixD = nearest(1, d.dModel, s.dModel, (v) => constraintsHold(map, { ...s, dModel: v }, kept));
    const fixH = nearest(1, d.heads, s.heads, (v) => constraintsHold(map, { ...s, heads: v, kvHeads: d.kvHeads === d.heads ? v : s.kvHeads }, kept));
    problems.push(
      `this model computes one width from another (at ${c.node}), so d_model must equal heads × head_dim (${headDim}): ` +
        [fixD !== undefined ? `with ${s.heads} heads, d_model ${fixD}` : '', fixH !== undefined ? `with d_model ${s.dModel}, ${fixH} heads` : '']
          .filter(Boolean)
          .join('; or ') || 'no shape near this one satisfies it',
    );
    break;
  }
  return { ok: problems.length === 0, problems };
}

function constraintsHold(map: TransformerMap, s: SubcloneShape, kept: readonly number[]): boolean {
  const keptSet = new Set(kept);
  const sizes = groupSizes(map, s, kept);
  return map.constraints.every(
    (c) => [...blocksOf(c.left), ...blocksOf(c.right)].some((b) => !keptSet.has(b)) || evalPoly(c.left, sizes) === evalPoly(c.right, sizes),
  );
}

function nearest(lo: number, hi: number, want: number, ok: (v: number) => boolean): number | undefined {
  for (let delta = 0; delta <= hi - lo; delta++) {
    for (const v of [want - delta, want + delta]) if (v >= lo && v <= hi && ok(v)) return v;
  }
  return undefined;
}

/** Throws BadShape with every problem when the shape is impossible. */
export function assertShape(map: TransformerMap, s: SubcloneShape, keptBlocks?: readonly number[]): void {
  const check = checkShape(map, s, keptBlocks);
  // Per-block checks can find the same problem in every block: say it once.
  if (!check.ok) throw new SubcloneError('BadShape', `impossible target shape: ${[...new Set(check.problems)].join('; ')}`);
}

/**
 * Unique parameters of the destination: every parameter of the kept blocks and the ends, with each coupled axis
 * at its new size (tied copies counted once, buffers not at all).
 */
export function countShapeParameters(map: TransformerMap, s: SubcloneShape, keptBlocks: readonly number[] = Array.from({ length: s.layers }, (_, i) => i)): number {
  const sizes = groupSizes(map, s, keptBlocks);
  const exprs = new Map<string, Map<number, AxisExpr>>();
  for (const g of map.groups) for (const m of g.members) {
    let axes = exprs.get(m.tensor);
    if (!axes) exprs.set(m.tensor, (axes = new Map()));
    axes.set(m.axis, m.expr);
  }
  const kept = new Set(keptBlocks);
  let total = 0;
  for (const p of map.params) {
    if (p.tiedTo || p.role === 'other' || (p.block !== null && !kept.has(p.block))) continue;
    const axes = exprs.get(p.name);
    total += p.dims.reduce((n, dim, axis) => n * (axes?.has(axis) ? resized(axes.get(axis)!, sizes) : dim), 1);
  }
  return total;
}

/** The size of an axis when each group has the given size. */
export function resized(expr: AxisExpr, sizes: Record<string, number>): number {
  if ('group' in expr) return sizes[expr.group] ?? expr.size;
  if ('fixed' in expr) return expr.fixed;
  if ('cat' in expr) return expr.cat.reduce((n, p) => n + resized(p, sizes), 0);
  return expr.seq.reduce((n, p) => n * resized(p, sizes), 1);
}

