/**
 * Destination shapes: what the user asks Subclone to make, and the pure helpers on them. The engine's own type;
 * src/protocol/shapes.ts re-exports it for the extension and the webviews.
 */

/** The numbers that define a destination transformer. */
export interface TargetShape {
  /** Blocks (transformer layers) to keep. */
  layers: number;
  /** Embedding (residual stream) width. */
  dModel: number;
  /** Query heads per block. */
  heads: number;
  /** Key/value heads per block (equal to `heads` without grouped-query attention). */
  kvHeads: number;
  /** FFN hidden width per block. */
  ffn: number;
}

/** The presets the "Subclone…" flow offers for every model. */
export type ShapePresetId = 'half-depth' | 'half-width' | 'half-both' | 'quarter-params';

/** A destination shape computed for one model by the engine, with its parameter count. */
export interface ShapePreset {
  id: ShapePresetId;
  /** Words for the picker, e.g. "half depth". */
  label: string;
  shape: TargetShape;
  /** Unique parameters of the destination. */
  parameters: number;
}

/** The fields of a TargetShape, in the order the custom-shape flow asks for them. */
export const TARGET_SHAPE_FIELDS: readonly (keyof TargetShape)[] = ['layers', 'dModel', 'heads', 'kvHeads', 'ffn'];

/** "3 layers × 192 · 6 heads (6 KV) · FFN 768": a shape in one line. */
export function describeShape(shape: TargetShape): string {
  const kv = shape.kvHeads !== shape.heads ? ` (${shape.kvHeads} KV)` : '';
  return `${shape.layers} ${shape.layers === 1 ? 'layer' : 'layers'} × ${shape.dModel} · ${shape.heads} heads${kv} · FFN ${shape.ffn}`;
}

/** "12.3 M", "850 K", "1.2 B": a parameter count for people. */
export function formatCount(n: number): string {
  const units: [number, string][] = [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'K']];
  for (const [size, unit] of units) {
    if (Math.abs(n) >= size) {
      const v = n / size;
      return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${unit}`;
    }
  }
  return String(n);
}

/**
 * The shape with one number changed, and the numbers that follow it moved along, so the shape checked while typing
 * is one a person would mean. A new width keeps the parent's head_dim (the default heads policy) when it divides:
 * the heads follow. Changing the heads moves the key/value heads: equal to the heads without grouped-query
 * attention in the parent, else the largest divisor of the heads not above the current value.
 */
export function withField(shape: TargetShape, field: keyof TargetShape, n: number, parent: { shape: TargetShape }): TargetShape {
  const next = { ...shape, [field]: n };
  if (field === 'dModel') {
    const headDim = parent.shape.dModel / parent.shape.heads;
    const heads = n / headDim;
    return Number.isInteger(headDim) && Number.isInteger(heads) && heads >= 1 && heads <= parent.shape.heads ? withField(next, 'heads', heads, parent) : next;
  }
  if (field !== 'heads') return next;
  if (parent.shape.kvHeads === parent.shape.heads) return { ...next, kvHeads: n };
  let kv = Math.min(shape.kvHeads, n);
  while (kv > 1 && n % kv !== 0) kv--;
  return { ...next, kvHeads: Math.max(kv, 1) };
}
