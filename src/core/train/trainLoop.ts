import { SubcloneError, throwIfAborted } from '../errors';
import type { OnnxModel } from '../onnx/onnxModel';
import type { Provider, ProviderPreference } from '../runtime/executionProvider';
import { ADAMW_DEFAULTS, AdamW, clipScale, globalNorm, type AdamWOptions } from './adamw';
import type { Batch, BatchSource } from './batch';
import { randomInitValues } from './randomInit';
import { learningRate, type Schedule } from './schedule';
import type { TrainingTarget } from './target';
import { Trainer } from './trainer';
import { quote } from '../quote';

/** Every training setting, with its default in TRAIN_DEFAULTS. Recorded with the results. */
export interface TrainConfig {
  /** Optimizer steps. */
  steps: number;
  /** Peak learning rate. */
  lr: number;
  /** Final learning rate of the cosine decay (default lr/10). */
  minLr?: number;
  /** Linear warmup steps (default: 10% of the steps, at most 100). */
  warmup?: number;
  /** Global gradient-norm clipping threshold (0: none). */
  clip: number;
  /** Seed for the data order and the random init. */
  seed: number;
  /** Evaluate on the held-out batches every K steps (0: only after the last step). */
  evalEvery: number;
  /** Also evaluate before the first update (the curve's starting point). */
  evalAtStart: boolean;
  /** Start from the model's weights or from a random init of the same graph. */
  init: 'model' | 'random';
  adamw: AdamWOptions;
  provider: ProviderPreference;
}

export const TRAIN_DEFAULTS: Omit<TrainConfig, 'steps' | 'lr'> = {
  clip: 1.0,
  seed: 0,
  evalEvery: 0,
  evalAtStart: false,
  init: 'model',
  adamw: ADAMW_DEFAULTS,
  provider: 'auto',
};

/** One row of the training curve (the CSV's columns). */
export interface CurvePoint {
  /** 1-based: the number of updates done. */
  step: number;
  lr: number;
  trainLoss: number;
  /** Held-out loss after this step, when evaluated. */
  valLoss: number | null;
  tokensPerS: number;
}

export interface TrainProgress extends CurvePoint {
  steps: number;
  gradNorm: number;
}

export interface TrainRunOptions {
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
  onNotice?: (message: string) => void;
  /** Called once the trainer is ready, before the first update, with the held-out loss at step 0 (evalAtStart). */
  onStart?: (initialValLoss: number | null) => void;
  /** CPU threads for onnxruntime (default: its choice); 1 when runs train side by side, one per core. */
  threads?: number;
  /** End the run (instead of throwing) when the training loss becomes NaN or infinite: the result says `diverged`. */
  stopOnNonFinite?: boolean;
}

export interface TrainResult {
  curve: CurvePoint[];
  /** Held-out loss before training (with evalAtStart). */
  initialValLoss: number | null;
  /** Final values of every parameter and tied copy, by initializer name. */
  values: Map<string, Float32Array>;
  provider: Provider;
  /** Parameters the loss does not depend on (left unchanged). */
  unreached: string[];
  config: TrainConfig & { minLr: number; warmup: number };
  seconds: number;
  /** With stopOnNonFinite: the 1-based step whose loss was not finite (the curve ends before it). */
  diverged?: { step: number; loss: number };
}

/** Fills in the defaults that depend on the other settings. */
export function resolveConfig(config: Partial<TrainConfig> & Pick<TrainConfig, 'steps' | 'lr'>): TrainResult['config'] {
  const full = { ...TRAIN_DEFAULTS, ...config };
  if (!(full.steps >= 1) || !Number.isInteger(full.steps)) throw new SubcloneError('BadArgument', `steps must be a positive integer, got ${full.steps}`);
  if (!(full.lr > 0)) throw new SubcloneError('BadArgument', `the learning rate must be positive, got ${full.lr}`);
  const warmup = full.warmup ?? Math.min(100, Math.round(full.steps * 0.1));
  return { ...full, warmup, minLr: full.minLr ?? full.lr / 10 };
}

/**
 * Trains a model's parameters on a batch source: AdamW with decoupled weight decay (per-parameter `decay`), linear
 * warmup + cosine decay, global grad-norm clipping, held-out evaluation every `evalEvery` steps and after the last.
 * The model is not modified; the trained values are returned (write them with modelWithWeights + writeModel).
 */
export async function trainModel(
  model: OnnxModel,
  target: TrainingTarget,
  data: BatchSource,
  settings: Partial<TrainConfig> & Pick<TrainConfig, 'steps' | 'lr'>,
  run: TrainRunOptions = {},
): Promise<TrainResult> {
  const config = resolveConfig(settings);
  const started = performance.now();
  throwIfAborted(run.signal);
  const initial = config.init === 'random' ? randomInitValues(model, target, config.seed) : undefined;
  const trainer = await Trainer.create(model, target, data.train(0), {
    provider: config.provider,
    ...(run.onNotice ? { onNotice: run.onNotice } : {}),
    ...(run.signal ? { signal: run.signal } : {}),
    ...(initial ? { initial } : {}),
    ...(run.threads ? { threads: run.threads } : {}),
  });
  try {
    const vocab = trainer.graph.lossKind === 'crossEntropy' ? trainer.graph.output.dims[trainer.graph.output.dims.length - 1] : undefined;
    const check = (b: Batch) => vocab !== undefined && checkTargets(b, vocab);
    if (trainer.graph.unreached.length) run.onNotice?.(`not trained (the loss does not depend on them): ${trainer.graph.unreached.map(quote).join(', ')}`);
    const decay = new Map(target.params.map((p) => [p.name, p.decay]));
    const optimizer = new AdamW(trainer.trained.map((p) => ({ values: p.values, decay: decay.get(p.name) ?? false })), config.adamw);
    const schedule: Schedule = { lr: config.lr, minLr: config.minLr, warmup: config.warmup, steps: config.steps };
    const curve: CurvePoint[] = [];
    const initialValLoss = config.evalAtStart ? await evaluateLoss(trainer, data.validation(), check, run.signal) : null;
    run.onStart?.(initialValLoss);
    let diverged: TrainResult['diverged'];
    for (let s = 0; s < config.steps; s++) {
      throwIfAborted(run.signal);
      const batch = data.train(s);
      check(batch);
      const t0 = performance.now();
      const lr = learningRate(schedule, s);
      const { loss, grads } = await trainer.step(batch);
      if (!Number.isFinite(loss) && run.stopOnNonFinite) {
        diverged = { step: s + 1, loss };
        break;
      }
      if (!Number.isFinite(loss)) throw new SubcloneError('Runtime', `the training loss became ${loss} at step ${s + 1}; try a lower learning rate`);
      const gradNorm = globalNorm(grads);
      optimizer.step(grads, lr, clipScale(gradNorm, config.clip));
      trainer.syncFeeds();
      const tokensPerS = batch.tokens / ((performance.now() - t0) / 1000);
      const last = s === config.steps - 1;
      const evaluate = last || (config.evalEvery > 0 && (s + 1) % config.evalEvery === 0);
      const valLoss = evaluate ? await evaluateLoss(trainer, data.validation(), check, run.signal) : null;
      const point: CurvePoint = { step: s + 1, lr, trainLoss: loss, valLoss, tokensPerS };
      curve.push(point);
      run.onProgress?.({ ...point, steps: config.steps, gradNorm });
    }
    const seconds = (performance.now() - started) / 1000;
    return { curve, initialValLoss, values: trainer.values(), provider: trainer.provider, unreached: trainer.graph.unreached, config, seconds, ...(diverged ? { diverged } : {}) };
  } finally {
    await trainer.release();
  }
}

/** The held-out loss: the token-weighted mean over the validation batches. */
async function evaluateLoss(trainer: Trainer, batches: Batch[], check: (b: Batch) => void, signal?: AbortSignal): Promise<number> {
  let sum = 0;
  let tokens = 0;
  for (const b of batches) {
    throwIfAborted(signal);
    check(b);
    sum += (await trainer.evaluate(b)) * b.tokens;
    tokens += b.tokens;
  }
  return sum / tokens;
}

/** Target ids must index the output's last axis (a wrong tokenizer shows up here). */
function checkTargets(b: Batch, vocab: number): void {
  const data = b.targets.data as BigInt64Array;
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (v < 0 || v >= vocab) {
      throw new SubcloneError('BadArgument', `the data has token id ${v} but the model's output has ${vocab} classes (wrong tokenizer for this model?)`);
    }
  }
}
