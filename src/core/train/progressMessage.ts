import type { TrainProgress } from './trainLoop';

/**
 * A training step as one progress line that people can read and the convergence panel can parse back:
 * `step=10/50 loss=3.1831 lr=2.66e-3 tok/s=4435 val=3.0028` (val only on evaluated steps).
 */
export function formatTrainProgress(p: TrainProgress): string {
  const parts = [`step=${p.step}/${p.steps}`, `loss=${p.trainLoss.toFixed(4)}`, `lr=${p.lr.toExponential(2)}`, `tok/s=${Math.round(p.tokensPerS)}`];
  if (p.valLoss !== null) parts.push(`val=${p.valLoss.toFixed(4)}`);
  return parts.join(' ');
}

export interface ParsedProgress {
  step: number;
  steps: number;
  loss: number;
  lr: number;
  tokensPerS: number;
  valLoss: number | null;
}

/** The inverse of formatTrainProgress; undefined for any other message. */
export function parseTrainProgress(message: string): ParsedProgress | undefined {
  const fields = new Map(message.split(' ').map((kv) => kv.split('=') as [string, string]));
  const step = /^(\d+)\/(\d+)$/.exec(fields.get('step') ?? '');
  if (!step || !fields.has('loss')) return undefined;
  const val = fields.get('val');
  return {
    step: Number(step[1]),
    steps: Number(step[2]),
    loss: Number(fields.get('loss')),
    lr: Number(fields.get('lr')),
    tokensPerS: Number(fields.get('tok/s')),
    valLoss: val === undefined ? null : Number(val),
  };
}
