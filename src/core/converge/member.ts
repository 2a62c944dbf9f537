import { openCheckpoint } from '../checkpoint/openCheckpoint';
import type { ProviderPreference } from '../runtime/executionProvider';
import { expectedProvider } from '../runtime/ortSession';
import { ADAMW_DEFAULTS } from '../train/adamw';
import type { TrainingTarget } from '../train/target';
import { trainModel, type TrainProgress } from '../train/trainLoop';
import type { ResolvedSettings, RunInit } from './settings';
import { sweepBatches, type SweepData } from './sweepData';

/** One run of a sweep, as a member (in this thread or a worker thread) gets it. Plain data: it crosses threads. */
export interface MemberTask {
  child: string;
  target: TrainingTarget;
  data: SweepData;
  settings: ResolvedSettings;
  init: RunInit;
  lr: number;
  /** onnxruntime CPU threads (1 when runs train side by side; 0: onnxruntime's choice). */
  threads: number;
  provider: ProviderPreference;
}

/** What a member reports while it trains. */
export interface MemberHooks {
  signal?: AbortSignal;
  /** Ready to train (graph built), with the step-0 held-out loss. */
  onStart?: (initialValLoss: number) => void;
  /** Every step (the CSV's rows); on evaluated steps `valLoss` is set. */
  onStep?: (p: TrainProgress) => void;
  onNotice?: (message: string) => void;
}

export interface MemberResult {
  /** Set when the training or held-out loss became NaN or infinite at this step (the steps before it count). */
  diverged: { step: number; loss: number } | null;
  provider: string;
  seconds: number;
}

/**
 * Trains one run of the sweep: the child from its own weights or from a random init of the same graph (seeded
 * like `train --init random`), on the sweep's shared data order, evaluated at step 0, every evalEvery steps and
 * at the end. A run whose loss becomes non-finite ends there (diverged) instead of failing the sweep. The curve
 * goes out through the hooks step by step, so a cancelled run keeps what it did.
 */
export async function runMember(task: MemberTask, hooks: MemberHooks = {}): Promise<MemberResult> {
  const model = openCheckpoint(task.child);
  const started = performance.now();
  try {
    const s = task.settings;
    const data = sweepBatches(model, task.child, task.target, task.data, s, hooks.onNotice);
    let badEval: MemberResult['diverged'] = null;
    const stop = new AbortController(); // a non-finite held-out loss ends the run before the next step
    const signal = hooks.signal ? AbortSignal.any([hooks.signal, stop.signal]) : stop.signal;
    try {
      const result = await trainModel(
        model,
        task.target,
        data,
        {
          steps: s.steps,
          lr: task.lr,
          minLr: task.lr * s.minLrRatio,
          warmup: s.warmup,
          clip: s.clip,
          seed: s.seed,
          evalEvery: s.evalEvery,
          evalAtStart: true,
          init: task.init === 'random' ? 'random' : 'model',
          adamw: { ...ADAMW_DEFAULTS, weightDecay: s.weightDecay },
          provider: task.provider,
        },
        {
          signal,
          stopOnNonFinite: true,
          ...(task.threads > 0 ? { threads: task.threads } : {}),
          ...(hooks.onNotice ? { onNotice: hooks.onNotice } : {}),
          onStart: (v) => hooks.onStart?.(v ?? NaN),
          onProgress: (p) => {
            if (p.valLoss !== null && !Number.isFinite(p.valLoss)) {
              badEval = { step: p.step, loss: p.valLoss };
              stop.abort();
              return;
            }
            hooks.onStep?.(p);
          },
        },
      );
      return { diverged: result.diverged ?? badEval, provider: result.provider, seconds: result.seconds };
    } catch (e) {
      if (badEval && !hooks.signal?.aborted) return { diverged: badEval, provider: expectedProvider(task.provider), seconds: (performance.now() - started) / 1000 };
      throw e;
    }
  } finally {
    model.close();
  }
}
