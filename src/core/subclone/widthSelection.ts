import { SubcloneError } from '../errors';
import type { TransformerMap } from '../recognize/transformerMap';
import { ffnPerBlock, type SubcloneShape } from './shape';
import type { KeptUnits } from './sliceTensors';

/** The scores width selection reads (an importance report's fields of the same names). */
export interface WidthScores {
  /** Embedding neuron indices, most important first. */
  embeddingRanking: readonly number[];
  ffn: readonly (readonly number[])[];
  heads: readonly (readonly number[])[];
  kvGroups: readonly (readonly number[])[];
}

/** The `k` highest-scoring indices, returned in their original (ascending) order. */
export function topK(scores: readonly number[], k: number): number[] {
  if (k > scores.length) throw new SubcloneError('BadShape', `cannot keep ${k} of ${scores.length} units`);
  return scores
    .map((s, i) => [s, i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, i]) => i)
    .sort((a, b) => a - b);
}

/**
 * Which units to keep for a destination shape: the top-d embedding neurons of the global ranking (original order
 * kept), and for each kept parent block (the i-th destination block) its top FFN units and heads. Under grouped-query
 * attention whole KV groups are kept (ranked by their query heads' summed scores) with the same query-head slots in
 * every kept group.
 */
export function selectWidths(map: TransformerMap, shape: SubcloneShape, scores: WidthScores, blocks: readonly number[]): KeptUnits {
  const keep: Record<string, number[]> = {};
  const ranking = scores.embeddingRanking;
  if (ranking.length !== map.dims.dModel) throw new SubcloneError('BadArgument', `the importance ranking has ${ranking.length} neurons; the model has ${map.dims.dModel}`);
  keep.D = [...ranking.slice(0, shape.dModel)].sort((a, b) => a - b);
  const ffn = ffnPerBlock(shape);
  blocks.forEach((b, i) => {
    keep[`F${b}`] = topK(scores.ffn[b], ffn[i]);
    const heads = scores.heads[b];
    if (map.groups.some((g) => g.id === `KV${b}`)) {
      const groups = topK(scores.kvGroups[b], shape.kvHeads);
      const perGroup = map.dims.heads / map.dims.kvHeads;
      const slotScores = Array.from({ length: perGroup }, (_, j) => groups.reduce((s, g) => s + heads[g * perGroup + j], 0));
      keep[`KV${b}`] = groups;
      keep[`H${b}`] = topK(slotScores, shape.heads / shape.kvHeads);
    } else if (map.groups.some((g) => g.id === `H${b}`)) {
      keep[`H${b}`] = topK(heads, shape.heads);
    }
  });
  return keep;
}

/** All units of every group: the identity selection. */
export function keepAll(map: TransformerMap): KeptUnits {
  return Object.fromEntries(map.groups.map((g) => [g.id, Array.from({ length: g.size }, (_, i) => i)]));
}
