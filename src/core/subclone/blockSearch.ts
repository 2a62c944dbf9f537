import { throwIfAborted } from '../errors';
import type { OnnxModel } from '../onnx/onnxModel';
import type { LossProbe } from '../eval/lossProbe';
import { exhaustiveCandidates } from './blockPolicy';

export interface CandidateLoss {
  blocks: number[];
  loss: number;
}

export interface BlockSearchResult {
  chosen: number[];
  candidates: CandidateLoss[];
  method: 'exhaustive' | 'greedy';
}

/** How many candidates the loss-guided search scores for a depth: every subset keeping block 0, or the greedy steps. */
export function candidateCount(parentLayers: number, layers: number): number {
  return exhaustiveCandidates(parentLayers, layers)?.length ?? ((parentLayers - 1) * parentLayers - (layers - 1) * layers) / 2;
}

/**
 * Loss-guided block choice (SPEC §2.5): every subset of `layers` blocks that keeps block 0 when there are at most
 * 64, otherwise greedy removal of one block at a time; each candidate is built (`build`) and scored by the
 * calibration loss, and the lowest wins.
 */
export async function searchBlocks(
  parentLayers: number,
  layers: number,
  build: (blocks: number[]) => OnnxModel,
  probe: LossProbe,
  keptD: readonly number[],
  o: { signal?: AbortSignal; onProgress?: (done: number, total: number, best: CandidateLoss | undefined) => void } = {},
): Promise<BlockSearchResult> {
  const candidates: CandidateLoss[] = [];
  const score = async (blocks: number[]) => {
    throwIfAborted(o.signal);
    const loss = await probe.loss(build(blocks), keptD, o.signal);
    const c = { blocks, loss };
    candidates.push(c);
    return c;
  };
  const best = () => candidates.reduce<CandidateLoss | undefined>((b, c) => (!b || c.loss < b.loss ? c : b), undefined);
  const all = exhaustiveCandidates(parentLayers, layers);
  if (all) {
    for (const [i, blocks] of all.entries()) {
      await score(blocks);
      o.onProgress?.(i + 1, all.length, best());
    }
    return { chosen: best()!.blocks, candidates, method: 'exhaustive' };
  }
  let current = Array.from({ length: parentLayers }, (_, i) => i);
  const total = candidateCount(parentLayers, layers);
  let done = 0;
  while (current.length > layers) {
    let stepBest: CandidateLoss | undefined;
    for (const drop of current.slice(1)) {
      const c = await score(current.filter((b) => b !== drop));
      if (!stepBest || c.loss < stepBest.loss) stepBest = c;
      o.onProgress?.(++done, total, best());
    }
    current = stepBest!.blocks;
  }
  return { chosen: current, candidates, method: 'greedy' };
}
