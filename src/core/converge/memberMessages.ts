import type { TrainProgress } from '../train/trainLoop';
import type { MemberResult } from './member';

/** Coordinator → member thread. */
export type ToMember =
  /** Stop before the next step. */
  { type: 'cancel' };

/** Member thread → coordinator, in this order: start, step…, then done or error. */
export type FromMember =
  /** The training graph is ready; the step-0 held-out loss. */
  | { type: 'start'; initialValLoss: number }
  /** One step (valLoss set on evaluated steps). */
  | { type: 'step'; p: TrainProgress }
  | { type: 'notice'; message: string }
  | { type: 'done'; result: MemberResult }
  /** A SubcloneError's code and message (Cancelled when stopped). */
  | { type: 'error'; code: string; message: string };
