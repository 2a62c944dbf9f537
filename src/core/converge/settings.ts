import { SubcloneError } from '../errors';
import type { ProviderPreference } from '../runtime/executionProvider';
import { ADAMW_DEFAULTS } from '../train/adamw';

/** Which starting point a run trains from: the subclone's own weights, or a random init of the same graph. */
export type RunInit = 'subclone' | 'random';

/**
 * Every setting of a convergence check, with its default in CONVERGE_DEFAULTS (one place) and recorded in
 * convergence.json. Both inits share everything but the learning rates: the same data order (seed), the same
 * held-out windows, the same schedule shape.
 */
export interface ConvergeSettings {
  /** Optimizer steps per run. */
  steps: number;
  /** Peak learning rates of the subclone runs (its own weights). */
  lrs: number[];
  /** Peak learning rates of the random-init runs (the same init as `train --init random`). */
  randomLrs: number[];
  /** Sequences (or images) per step. */
  batch: number;
  /** Tokens per sequence (text only). */
  seq: number;
  /** Evaluate every K steps ('auto': steps / 24, so every run has about 25 points including step 0). */
  evalEvery: number | 'auto';
  /** Held-out batches per evaluation: the same fixed windows for every run. */
  evalBatches: number;
  /** Seed of the data order and of the random init. */
  seed: number;
  /** Linear warmup steps ('auto': the trainer's default, 10% of the steps, at most 100). */
  warmup: number | 'auto';
  /** The cosine decay ends at lr × this. */
  minLrRatio: number;
  /** Global gradient-norm clipping (0: none). */
  clip: number;
  /** AdamW's decoupled weight decay (matrices only). */
  weightDecay: number;
  /**
   * Runs added per init when its best learning rate is at the edge of its sweep: one more past the edge at a
   * time, until the best is inside the sweep or this many were added (0: the sweeps as given).
   */
  widen: number;
  /** Runs trained side by side, each on one core ('auto': see resolveParallel). */
  parallel: number | 'auto';
  provider: ProviderPreference;
}

/** A run is identified by its init and learning rate. */
export interface RunKey {
  init: RunInit;
  lr: number;
}

/**
 * The defaults. Learning rates: four per init, ×2 apart (an 8× range), the subclone's centred 4× lower than random
 * init's — measured on the example (KJV GPT-2 → 3L×96) and on a pretrained LLaMA-style child; docs/convergence.md
 * has the numbers behind them.
 */
export const CONVERGE_DEFAULTS: ConvergeSettings = {
  steps: 600,
  lrs: [7.5e-4, 1.5e-3, 3e-3, 6e-3],
  randomLrs: [3e-3, 6e-3, 1.2e-2, 2.4e-2],
  batch: 16,
  seq: 128,
  evalEvery: 'auto',
  evalBatches: 8,
  seed: 0,
  warmup: 'auto',
  minLrRatio: 0.1,
  clip: 1.0,
  weightDecay: ADAMW_DEFAULTS.weightDecay,
  widen: 2,
  parallel: 'auto',
  provider: 'auto',
};

/** The settings with every 'auto' but `parallel` made concrete (as recorded in the file). */
export interface ResolvedSettings extends Omit<ConvergeSettings, 'evalEvery' | 'warmup' | 'parallel'> {
  evalEvery: number;
  warmup: number;
  /** Runs side by side (1: one after another, with onnxruntime's own threads). */
  parallel: number;
}

/** Points per run that evalEvery 'auto' aims at (after step 0). */
export const AUTO_EVALUATIONS = 24;

/** Fills in the defaults and checks every value; `parallel` is resolved by the caller (it depends on the model). */
export function resolveSettings(settings: Partial<ConvergeSettings>, parallel: number): ResolvedSettings {
  const s = { ...CONVERGE_DEFAULTS, ...settings };
  positiveInt(s.steps, 'steps');
  positiveInt(s.batch, 'batch');
  positiveInt(s.seq, 'seq');
  positiveInt(s.evalBatches, 'eval-batches');
  positiveInt(parallel, 'parallel');
  if (!Number.isInteger(s.seed)) throw new SubcloneError('BadArgument', `the seed must be an integer, got ${s.seed}`);
  checkLrs(s.lrs, 'lrs');
  checkLrs(s.randomLrs, 'random-lrs');
  if (!s.lrs.length && !s.randomLrs.length) throw new SubcloneError('BadArgument', 'no learning rates: give --lrs or --random-lrs');
  const evalEvery = s.evalEvery === 'auto' ? autoEvalEvery(s.steps) : positiveInt(s.evalEvery, 'eval-every');
  const warmup = s.warmup === 'auto' ? Math.min(100, Math.round(s.steps * 0.1)) : s.warmup;
  if (!Number.isInteger(warmup) || warmup < 0 || warmup >= s.steps) throw new SubcloneError('BadArgument', `warmup must be an integer in [0, steps), got ${warmup}`);
  if (!(s.minLrRatio >= 0 && s.minLrRatio <= 1)) throw new SubcloneError('BadArgument', `minLrRatio must be in [0, 1], got ${s.minLrRatio}`);
  if (!(s.clip >= 0)) throw new SubcloneError('BadArgument', `clip must be ≥ 0, got ${s.clip}`);
  if (!Number.isInteger(s.widen) || s.widen < 0) throw new SubcloneError('BadArgument', `--widen must be a whole number ≥ 0, got ${s.widen}`);
  if (!(s.weightDecay >= 0)) throw new SubcloneError('BadArgument', `weight decay must be ≥ 0, got ${s.weightDecay}`);
  return { ...s, lrs: [...s.lrs], randomLrs: [...s.randomLrs], evalEvery, warmup, parallel };
}

/** evalEvery 'auto': about AUTO_EVALUATIONS evaluations per run. */
export function autoEvalEvery(steps: number): number {
  return Math.max(1, Math.round(steps / AUTO_EVALUATIONS));
}

/** Every run of the sweep, in the file's order: subclone runs by ascending lr, then random-init runs. */
export function plannedRuns(s: Pick<ConvergeSettings, 'lrs' | 'randomLrs'>): RunKey[] {
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  return [...sorted(s.lrs).map((lr) => ({ init: 'subclone' as const, lr })), ...sorted(s.randomLrs).map((lr) => ({ init: 'random' as const, lr }))];
}

/**
 * The order runs start in: each sweep from its geometric centre outwards (of two at the same distance, the higher lr
 * first), the two inits alternating, so that a sweep cancelled half-way has already trained the likeliest best run
 * of each init. Returns indexes into `runs`.
 */
export function startOrder(runs: readonly RunKey[]): number[] {
  const byInit = (init: RunInit) => {
    const idx = runs.map((_, i) => i).filter((i) => runs[i].init === init);
    if (!idx.length) return [];
    const centre = idx.reduce((a, i) => a + Math.log(runs[i].lr), 0) / idx.length;
    const distance = (i: number) => Math.round(Math.abs(Math.log(runs[i].lr) - centre) * 1e6); // equal spacing ties exactly
    return idx.sort((a, b) => distance(a) - distance(b) || runs[b].lr - runs[a].lr); // ties: the higher lr first
  };
  const s = byInit('subclone');
  const r = byInit('random');
  const out: number[] = [];
  for (let k = 0; k < Math.max(s.length, r.length); k++) {
    if (k < s.length) out.push(s[k]);
    if (k < r.length) out.push(r[k]);
  }
  return out;
}

/** A learning rate as written in file names and tables: 3e-3, 1.2e-2, 7.5e-4. */
export function formatLr(lr: number): string {
  return Number(lr.toPrecision(4)).toExponential();
}

/** Two learning rates are the same run setting (parsed from the same text, so equal up to rounding). */
export function sameLr(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

function checkLrs(lrs: number[], flag: string): void {
  for (const lr of lrs) if (!(lr > 0 && Number.isFinite(lr))) throw new SubcloneError('BadArgument', `--${flag}: learning rates must be positive numbers, got ${lr}`);
  const sorted = [...lrs].sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) {
    if (sameLr(sorted[i - 1], sorted[i])) throw new SubcloneError('BadArgument', `--${flag} lists ${formatLr(sorted[i])} twice`);
  }
}

function positiveInt(n: number, flag: string): number {
  if (!Number.isInteger(n) || n < 1) throw new SubcloneError('BadArgument', `--${flag} must be a positive integer, got ${n}`);
  return n;
}
