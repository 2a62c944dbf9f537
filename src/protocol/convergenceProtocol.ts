/**
 * The messages between the extension host and the convergence panel (a webview with three cells: Setup, Run,
 * Verdict). One union per direction, each message with a literal `type`; both sides switch on `type` with an
 * exhaustiveness check. The webview starts with `ready`; the host answers with `init` (the child, the defaults, the
 * saved results). Every number the engine decides (the planned runs, the verdict, the estimate) comes from the host;
 * the webview only draws and collects the Setup fields.
 */
import type { ConvergenceFile, ConvergenceRun, RunStatus } from '../core/converge/convergenceFile';
import type { ChildSummary } from '../core/converge/convergenceSetup';
import type { RunInit } from '../core/converge/settings';
import type { ConvergencePoint, Verdict } from '../core/converge/verdict';

export type { ChildSummary, ConvergenceFile, ConvergenceRun, ConvergencePoint, RunInit, RunStatus, Verdict };

/** The Setup cell's fields, as the user edits them. `steps: null` means "auto" (about two minutes on this machine). */
export interface SetupValues {
  /** A text file or an image folder; null until one is chosen. */
  data: string | null;
  steps: number | null;
  batch: number;
  seq: number;
  /** Evaluate every K steps; null means auto (about 24 evaluations per run). */
  evalEvery: number | null;
  /** Peak learning rates of the subclone's runs and of the random-init runs. */
  lrs: number[];
  randomLrs: number[];
}


/** The Setup cell's time estimate, from a few timed steps of the child (the engine's estimateConvergence). */
export interface EstimateView {
  /** The setup it was made for (steps resolved). */
  setup: SetupValues & { steps: number; evalEvery: number };
  runs: number;
  /** Runs trained side by side. */
  parallel: number;
  stepSeconds: number;
  runSeconds: number;
  sweepSeconds: number;
  /** Steps whose whole sweep takes about two minutes (what `steps: null` means). */
  defaultSteps: number;
  tokensPerStep: number;
}

/** One planned run of a sweep: index i in `runs` is run i of every later event. */
export interface PlannedRun {
  init: RunInit;
  lr: number;
  steps: number;
}

export type ToConvergence =
  | {
      type: 'init';
      child: ChildSummary;
      /** The fields to start from: the saved sweep's settings, else the settings and the child's calibration data. */
      setup: SetupValues;
      /** The saved results (convergence.json beside the child), shown as they were; null when there are none. */
      saved: { file: string; content: ConvergenceFile } | null;
      /** Why the trainer cannot train this model, named before anything runs; null when it can. */
      untrainable: string | null;
      /** Actions need a trusted workspace and a model on disk; the reason when not. */
      actionsDisabledReason: string | null;
    }
  /** The data path the user picked with the file dialog. */
  | { type: 'dataPicked'; path: string }
  | { type: 'estimate'; requestId: number; estimate: EstimateView }
  /** A sweep started: every run pending, in the file's order. */
  | { type: 'plan'; requestId: number; runs: PlannedRun[]; evalEvery: number }
  /** A run added after the plan, as run `run` (the next index): the sweep widened past an edge of its lrs. */
  | { type: 'runAdded'; requestId: number; run: number; planned: PlannedRun }
  | { type: 'runStatus'; requestId: number; run: number; status: RunStatus }
  /** A new evaluation of a run (step 0 first); `fraction`: of all the sweep's steps. */
  | { type: 'point'; requestId: number; run: number; point: ConvergencePoint; fraction: number | null }
  /** The sweep ended (finished or cancelled): the file as written, with the verdict over the finished runs. */
  | { type: 'finished'; requestId: number; file: string; cancelled: boolean; content: ConvergenceFile }
  | { type: 'requestError'; requestId: number; code: string; message: string };

export type FromConvergence =
  | { type: 'ready' }
  | { type: 'pickData' }
  /** Time the child on this setup (Setup cell: Estimate). */
  | { type: 'estimate'; requestId: number; setup: SetupValues }
  /** Train the sweep (Run cell: Run); replaces earlier results after asking. */
  | { type: 'run'; requestId: number; setup: SetupValues }
  | { type: 'cancel'; requestId: number }
  /** Opens a file the panel names (convergence.json, a run's CSV, the child) in an editor. */
  | { type: 'open'; path: string };

/** The verdict's time-to-target curve and its summary both come from the engine (src/core/converge/verdict.ts). */
export type { StepsToLoss, EqualLrSpeedup } from '../core/converge/verdict';

/** The `type` of every webview → host message, for validating what arrives from the webview. */
export const FROM_CONVERGENCE_TYPES: readonly FromConvergence['type'][] = ['ready', 'pickData', 'estimate', 'run', 'cancel', 'open'];

export function isFromConvergence(value: unknown): value is FromConvergence {
  return typeof value === 'object' && value !== null && FROM_CONVERGENCE_TYPES.includes((value as { type: FromConvergence['type'] }).type);
}
