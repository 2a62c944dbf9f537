import { calibrationFor } from '../importance/calibrationFor';
import type { CalibrationRequest } from '../importance/options';
import { makeLossProbe, type LossProbe } from '../eval/lossProbe';
import { Graph } from '../graph/graph';
import type { OnnxModel } from '../onnx/onnxModel';
import type { TransformerMap } from '../recognize/transformerMap';
import type { ProviderPreference } from '../runtime/executionProvider';
import { searchBlocks, type BlockSearchResult, type CandidateLoss } from './blockSearch';
import { editableCopy } from './childModel';
import { removeBlocks } from './removeBlocks';
import type { SubcloneShape } from './shape';
import { buildChild } from './surgery';
import { selectWidths, type WidthScores } from './widthSelection';

/** Calibration sequences (or images) that score block candidates, by default. */
export const DEFAULT_EVAL_SAMPLES = 16;

export interface ProbeOptions {
  provider?: ProviderPreference;
  /** The run's seed; the scoring batches use seed + 1 so they differ from the importance batches. */
  seed?: number;
  signal?: AbortSignal;
  onNotice?: (message: string) => void;
}

/**
 * The loss probe that scores block candidates: `samples` calibration batches of the request (default 16), the same
 * batches for every caller with the same seed, so the panel's scores and `apply`'s search agree.
 */
export function scoringProbe(modelFile: string, parent: OnnxModel, map: TransformerMap, request: CalibrationRequest, samples = DEFAULT_EVAL_SAMPLES, o: ProbeOptions = {}): Promise<LossProbe> {
  // One sequence per run: the loss's largest tensor, [batch, sequence, vocab] logits inside onnxruntime, stays one
  // sequence's worth.
  const source = calibrationFor(modelFile, map, { data: request, samples, batchSize: 1, seed: (o.seed ?? 0) + 1, ...(o.signal ? { signal: o.signal } : {}) });
  return makeLossProbe(parent, map, source, {
    provider: o.provider ?? 'auto',
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onNotice ? { onNotice: o.onNotice } : {}),
  });
}

/**
 * Builds block candidates cheaply: with one FFN width for all blocks, the parent is width-sliced once and each
 * candidate only removes blocks from that; per-block widths slice each candidate anew.
 */
export function candidateBuilder(parent: OnnxModel, map: TransformerMap, shape: SubcloneShape, scores: WidthScores): (blocks: number[]) => OnnxModel {
  if (Array.isArray(shape.ffn)) {
    return (blocks) => buildChild(parent, map, { blocks, keep: selectWidths(map, shape, scores, blocks) }).model;
  }
  const all = map.blocks.map((b) => b.index);
  const wide = buildChild(parent, map, { blocks: all, keep: selectWidths(map, { ...shape, layers: all.length }, scores, all) }).model;
  return (blocks) => {
    const copy = editableCopy(wide);
    const graph = new Graph(copy);
    removeBlocks(graph, map, blocks);
    graph.cleanup();
    return copy;
  };
}

/** The top-d embedding neurons of the ranking, in their original order. */
export function keptEmbedding(scores: WidthScores, dModel: number): number[] {
  return [...scores.embeddingRanking.slice(0, dModel)].sort((a, b) => a - b);
}

/** The loss-guided block search (SPEC §2.5) for one destination shape: the search `apply` runs by default. */
export function searchBlocksForShape(
  parent: OnnxModel,
  map: TransformerMap,
  shape: SubcloneShape,
  scores: WidthScores,
  probe: LossProbe,
  o: { signal?: AbortSignal; onProgress?: (done: number, total: number, best: CandidateLoss | undefined) => void } = {},
): Promise<BlockSearchResult> {
  return searchBlocks(map.dims.layers, shape.layers, candidateBuilder(parent, map, shape, scores), probe, keptEmbedding(scores, shape.dModel), o);
}
