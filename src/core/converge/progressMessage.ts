import { formatLr, type RunInit } from './settings';
import type { ConvergencePoint } from './verdict';

/**
 * A sweep's live events as one progress line each, which people can read and the convergence panel parses back
 * (the worker's progress channel carries strings):
 *   `converge run=2 init=random lr=1.2e-2 status=running`
 *   `converge run=2 step=25 val=2.3123 train=2.4011 seconds=12.3`
 */
export type ConvergeEvent =
  | { kind: 'status'; run: number; init: RunInit; lr: number; status: string }
  | { kind: 'point'; run: number; point: ConvergencePoint };

export function formatConvergeEvent(e: ConvergeEvent): string {
  if (e.kind === 'status') return `converge run=${e.run} init=${e.init} lr=${formatLr(e.lr)} status=${e.status}`;
  const p = e.point;
  return `converge run=${e.run} step=${p.step} val=${p.valLoss.toPrecision(6)} train=${p.trainLoss === null ? '-' : p.trainLoss.toPrecision(6)} seconds=${p.seconds.toFixed(2)}`;
}

/** The inverse of formatConvergeEvent; undefined for any other message. */
export function parseConvergeEvent(message: string): ConvergeEvent | undefined {
  const [head, ...rest] = message.split(' ');
  if (head !== 'converge') return undefined;
  const f = new Map(rest.map((kv) => kv.split('=') as [string, string]));
  const run = Number(f.get('run'));
  if (!Number.isInteger(run)) return undefined;
  if (f.has('status')) {
    const init = f.get('init');
    if (init !== 'subclone' && init !== 'random') return undefined;
    return { kind: 'status', run, init, lr: Number(f.get('lr')), status: f.get('status')! };
  }
  if (!f.has('step') || !f.has('val')) return undefined;
  const train = f.get('train');
  return { kind: 'point', run, point: { step: Number(f.get('step')), valLoss: Number(f.get('val')), trainLoss: train === undefined || train === '-' ? null : Number(train), seconds: Number(f.get('seconds') ?? 0) } };
}
