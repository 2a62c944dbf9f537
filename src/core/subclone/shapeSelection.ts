import type { BlockSearchView, PanelBlockPolicy, SelectionView } from './reportViews';
import type { TargetShape } from './targetShape';
import type { ImportanceReport } from '../importance/report';
import type { TransformerMap } from '../recognize/transformerMap';
import type { HfShapeProblems } from '../hf/hfCheckpoint';
import { ruleBlocks } from './blockPolicy';
import { candidateCount } from './blockSearch';
import { shareOf } from './keptShares';
import { checkShape, countShapeParameters } from './shape';
import { selectWidths, type WidthScores } from './widthSelection';

export function widthScoresOf(report: ImportanceReport): WidthScores {
  return { embeddingRanking: report.embedding.ranking, ffn: report.ffn, heads: report.heads, kvGroups: report.kvGroups };
}

/**
 * What a destination shape keeps, as the importance panel highlights it: the engine's own width selection
 * (selectWidths) for every parent block, the blocks each policy keeps at this depth, and the share of importance
 * the kept units hold. `search` is the loss-guided search for exactly this shape when one is known; `hf` says
 * which shapes would be written as ONNX only.
 */
export function selectionFor(map: TransformerMap, report: ImportanceReport, shape: TargetShape, policy: PanelBlockPolicy, search: BlockSearchView | null, hf?: HfShapeProblems): SelectionView {
  const L = map.dims.layers;
  const check = checkShape(map, shape);
  const base = { shape, policy, parentParameters: map.parameterCounts.total, scoreCount: 0, search: null, onnxOnly: null };
  if (!check.ok) {
    const none = { loss: null, magnitude: null, first: null, middle: null };
    return { ...base, ok: false, message: check.problems.join('; '), parameters: null, blocks: null, policies: none, kept: null, shares: null };
  }
  const matching = search && sameShape(search.shape, shape) ? search : null;
  const magnitudes = report.blocks.relativeMagnitude.length === L ? report.blocks.relativeMagnitude : undefined;
  const policies: SelectionView['policies'] = {
    loss: matching?.chosen ?? null,
    magnitude: magnitudes ? ruleBlocks({ kind: 'magnitude' }, L, shape.layers, magnitudes) : null,
    first: ruleBlocks({ kind: 'first' }, L, shape.layers),
    middle: ruleBlocks({ kind: 'middle' }, L, shape.layers),
  };
  const blocks = policies[policy];
  const all = map.blocks.map((b) => b.index);
  const keep = selectWidths(map, { ...shape, layers: L }, widthScoresOf(report), all);
  const heads = all.map((b) => keptQueryHeads(map, keep, b));
  const kept = {
    embedding: [...(keep.D ?? [])],
    ffn: all.map((b) => [...(keep[`F${b}`] ?? [])]),
    heads,
    kvGroups: all.map((b) => [...(keep[`KV${b}`] ?? heads[b])]),
  };
  return {
    ...base,
    ok: true,
    message: null,
    parameters: countShapeParameters(map, shape, blocks ?? undefined),
    blocks,
    scoreCount: candidateCount(L, shape.layers),
    policies,
    search: matching,
    onnxOnly: hf?.shape(shape, blocks) ?? null,
    kept,
    shares: {
      embedding: shareOf(report.embedding.scores, kept.embedding),
      ffn: all.map((b) => shareOf(report.ffn[b], kept.ffn[b])),
      heads: all.map((b) => shareOf(report.heads[b], heads[b])),
    },
  };
}

/**
 * The parent's query-head indices a block keeps. Under grouped-query attention selectWidths keeps whole KV groups
 * (`KV<b>`) and the same head slots in each (`H<b>` holds slots within a group): head = group · (H/KV) + slot.
 */
function keptQueryHeads(map: TransformerMap, keep: Record<string, readonly number[]>, b: number): number[] {
  const slots = keep[`H${b}`] ?? [];
  const groups = keep[`KV${b}`];
  if (!groups) return [...slots];
  const perGroup = map.dims.heads / map.dims.kvHeads;
  return groups.flatMap((g) => slots.map((j) => g * perGroup + j)).sort((x, y) => x - y);
}

export function sameShape(a: TargetShape, b: TargetShape): boolean {
  return a.layers === b.layers && a.dModel === b.dModel && a.heads === b.heads && a.kvHeads === b.kvHeads && a.ffn === b.ffn;
}
