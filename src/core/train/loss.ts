import { weightedCrossEntropy } from '../autodiff/crossEntropy';
import { attr, type Emitter } from '../autodiff/emitter';
import type { TensorInfo } from '../autodiff/tensorInfo';
import { DataType } from '../onnx/dataType';

/** Names of the graph inputs a loss reads; the batch builder fills them. */
export const LOSS_TARGETS = 'loss/targets';
export const LOSS_WEIGHTS = 'loss/weights';
export const LOSS_OUTPUT = 'loss';

/**
 * crossEntropy: logits [..., V], targets int64 [...], weights float32 [...]; loss = Σ w · (logsumexp(z) - z[target]).
 * mse: hidden [..., D], targets float32 [..., D], weights float32 [...]; loss = Σ w · Σ_d (h - t)².
 * The host sets the weights so the sum is the wanted mean (1/count on counted positions, 0 on padding or ignored
 * targets), which keeps ignore-index and masking logic out of the graph.
 */
export type LossKind = 'crossEntropy' | 'mse';

export interface LossGraph {
  /** The inputs the loss reads, with their static shapes. */
  inputs: { name: string; info: TensorInfo }[];
  /** The scalar float32 loss. */
  loss: string;
  /** Where back-propagation starts: the gradient of `value` (the output, in float32) is `grad`. */
  seed: { value: string; grad: string };
}

/**
 * Emits the loss on `output` and the gradient of the loss with respect to it (written out directly: for
 * cross-entropy (softmax - onehot) · w, for MSE 2 · w · (h - t)). Precondition: `out` is the output's static info.
 */
export function emitLoss(e: Emitter, output: string, out: TensorInfo, kind: LossKind, withSeed = true): LossGraph {
  const rank = out.dims.length;
  const lead = out.dims.slice(0, -1);
  const last = out.dims[rank - 1];
  const z = out.elem === DataType.FLOAT ? output : e.cast(output, DataType.FLOAT);
  const all = Array.from({ length: rank - 1 }, (_, i) => i);
  const weights = LOSS_WEIGHTS;
  const wInfo = { dims: lead, elem: DataType.FLOAT };
  const w = e.unsqueeze(weights, [rank - 1]);
  if (kind === 'crossEntropy') {
    const { loss, lse } = weightedCrossEntropy(e, z, rank, LOSS_TARGETS, w);
    const inputs = [{ name: LOSS_TARGETS, info: { dims: lead, elem: DataType.INT64 } }, { name: weights, info: wInfo }];
    if (!withSeed) return { inputs, loss, seed: { value: z, grad: '' } };
    const probs = e.op('Exp', [e.op('Sub', [z, lse])]);
    const onehot = e.op('OneHot', [LOSS_TARGETS, e.ints([last], []), e.floats([0, 1], DataType.FLOAT, [2])], [attr.int('axis', -1)]);
    const grad = e.op('Mul', [e.op('Sub', [probs, onehot]), w]);
    return { inputs, loss, seed: { value: z, grad } };
  }
  const diff = e.op('Sub', [z, LOSS_TARGETS]);
  const loss = e.reduceSum(e.op('Mul', [e.op('Mul', [diff, diff]), w]), [...all, rank - 1], false);
  const inputs = [{ name: LOSS_TARGETS, info: { dims: out.dims, elem: DataType.FLOAT } }, { name: weights, info: wInfo }];
  if (!withSeed) return { inputs, loss, seed: { value: z, grad: '' } };
  const grad = e.op('Mul', [diff, e.op('Mul', [w, e.scalar(2, DataType.FLOAT)])]);
  return { inputs, loss, seed: { value: z, grad } };
}
