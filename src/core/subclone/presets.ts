import type { TransformerMap } from '../recognize/transformerMap';
import { checkShape, countShapeParameters, type SubcloneShape } from './shape';

export interface Preset {
  id: 'half-depth' | 'half-width' | 'half-both' | 'quarter-params';
  label: string;
  shape: SubcloneShape & { ffn: number };
  parameters: number;
}

/**
 * A narrower shape of the parent: `fraction` of the heads (whole KV groups under grouped-query attention), the
 * width that keeps head_dim when the graph ties them (else the same fraction of d), and the same fraction of the
 * FFN. Returns undefined when no valid shape is that narrow.
 */
export function narrower(map: TransformerMap, fraction: number, layers: number): (SubcloneShape & { ffn: number }) | undefined {
  const d = map.dims;
  const ratio = d.heads / d.kvHeads;
  const kvHeads = d.kvHeads === d.heads ? 0 : Math.max(1, Math.round(d.kvHeads * fraction));
  const heads = kvHeads ? kvHeads * ratio : Math.max(1, Math.round(d.heads * fraction));
  const parentFfn = Array.isArray(d.ffn) ? Math.min(...d.ffn) : d.ffn;
  const ffn = Math.max(1, Math.round(parentFfn * fraction));
  for (const dModel of [Math.max(1, Math.round(d.dModel * fraction)), heads * d.headDim]) {
    const shape = { layers, dModel, heads, kvHeads: kvHeads || heads, ffn };
    if (dModel <= d.dModel && checkShape(map, shape).ok) return shape;
  }
  return undefined;
}

/** The shapes the "Subclone…" flow offers for a model: half depth, half width, half both, about a quarter of the parameters. */
export function shapePresets(map: TransformerMap): Preset[] {
  const d = map.dims;
  const halfLayers = Math.max(1, Math.ceil(d.layers / 2));
  const full = narrower(map, 1, d.layers)!;
  const out: Preset[] = [];
  const add = (id: Preset['id'], label: string, shape: (SubcloneShape & { ffn: number }) | undefined) => {
    if (shape && checkShape(map, shape).ok) out.push({ id, label, shape, parameters: countShapeParameters(map, shape) });
  };
  add('half-depth', 'half depth', { ...full, layers: halfLayers });
  add('half-width', 'half width', narrower(map, 0.5, d.layers));
  add('half-both', 'half depth and width', narrower(map, 0.5, halfLayers));
  const total = map.parameterCounts.total;
  const offered = new Set(out.map((p) => JSON.stringify(p.shape)));
  let best: (SubcloneShape & { ffn: number }) | undefined;
  let bestGap = Infinity;
  for (const w of [1, 7 / 8, 3 / 4, 2 / 3, 5 / 8, 1 / 2, 3 / 8, 1 / 3, 1 / 4]) {
    for (const depth of [1, 3 / 4, 2 / 3, 1 / 2, 1 / 3, 1 / 4]) {
      const shape = narrower(map, w, Math.max(1, Math.round(d.layers * depth)));
      if (!shape || offered.has(JSON.stringify(shape))) continue;
      const gap = Math.abs(countShapeParameters(map, shape) / total - 0.25);
      if (gap < bestGap - 1e-9) [best, bestGap] = [shape, gap];
    }
  }
  add('quarter-params', 'about a quarter of the parameters', best);
  return out;
}
