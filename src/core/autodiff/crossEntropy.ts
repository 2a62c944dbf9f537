import { attr, type Emitter } from './emitter';

/**
 * Σ w · (logsumexp(z) − z[target]) over every position of float32 logits `z` of rank `rank` (targets int64 over the
 * leading axes; `w` float32 with the last axis kept as 1): the loss reduced inside the graph, so the logits never
 * leave onnxruntime.
 */
export function weightedCrossEntropy(e: Emitter, z: string, rank: number, targets: string, w: string): { loss: string; lse: string } {
  const lse = e.reduceLogSumExp(z, [rank - 1], true);
  const picked = e.op('GatherElements', [z, e.unsqueeze(targets, [rank - 1])], [attr.int('axis', rank - 1)]);
  const nll = e.op('Sub', [lse, picked]);
  const loss = e.reduceSum(e.op('Mul', [nll, w]), Array.from({ length: rank }, (_, i) => i), false);
  return { loss, lse };
}
