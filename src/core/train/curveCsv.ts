import type { CurvePoint } from './trainLoop';

export const CURVE_HEADER = 'step,lr,train_loss,val_loss,tokens_per_s';

/** The training curve as CSV (val_loss empty on steps without evaluation). */
export function curveCsv(curve: readonly CurvePoint[]): string {
  const rows = curve.map((p) =>
    [p.step, p.lr.toPrecision(6), p.trainLoss.toPrecision(7), p.valLoss === null ? '' : p.valLoss.toPrecision(7), p.tokensPerS.toFixed(1)].join(','),
  );
  return [CURVE_HEADER, ...rows].join('\n') + '\n';
}
