import * as fs from 'node:fs';
import * as path from 'node:path';
import { SubcloneError, errorMessage } from '../errors';
import { writeFilesAtomically } from '../fs/atomicFile';
import type { Dims, Family } from '../recognize/transformerMap';
import type { SubcloneShape } from '../subclone/shape';
import { curveCsv } from '../train/curveCsv';
import type { CurvePoint } from '../train/trainLoop';
import { formatLr, type ResolvedSettings, type RunInit } from './settings';
import type { ConvergencePoint, Verdict } from './verdict';

export const CONVERGENCE_FILE = 'convergence.json';
export const CONVERGENCE_VERSION = 1;

/**
 * pending: not started; running; finished: all its steps; diverged: the training loss became NaN/∞ (the points
 * end before it); cancelled: stopped (or never started) by a cancel; failed: an error (see `error`).
 */
export type RunStatus = 'pending' | 'running' | 'finished' | 'diverged' | 'cancelled' | 'failed';

export const RUN_STATUSES: readonly RunStatus[] = ['pending', 'running', 'finished', 'diverged', 'cancelled', 'failed'];

export function isRunStatus(s: string): s is RunStatus {
  return (RUN_STATUSES as readonly string[]).includes(s);
}

/** One training run of the sweep, identified by (init, lr). */
export interface ConvergenceRun {
  init: RunInit;
  lr: number;
  status: RunStatus;
  /** Planned steps (every run of a sweep has the same). */
  steps: number;
  /** Steps trained so far. */
  stepsDone: number;
  /** Evaluations: step 0, every evalEvery steps, and the last step. */
  points: ConvergencePoint[];
  /** The run's CSV (every step), relative to the file's folder; null before it has steps. */
  csv: string | null;
  /** Wall seconds of the run (graph building included), when it ended. */
  seconds: number | null;
  /** Mean training throughput (tokens, or images, per second). */
  tokensPerS: number | null;
  /** Why it failed or diverged. */
  error?: string;
}

/** convergence.json: the settings, the provenance, every run's curve and the verdict (docs/convergence.md). */
export interface ConvergenceFile {
  version: typeof CONVERGENCE_VERSION;
  tool: string;
  createdAt: string;
  /** When the sweep ended (null while running). */
  finishedAt: string | null;
  /** running: written after each run; finished; cancelled: the verdict is over the runs that finished. */
  status: 'running' | 'finished' | 'cancelled' | 'failed';
  child: { file: string; sha256: string; family: Family | null; dims: Dims | null; parameters: number | null };
  /** From the child's subclone.json; null when the child has none (a model that was not made by subclone). */
  parent: { file: string; sha256: string; family: Family; dims: Dims; parameters: number } | null;
  subclone: { shape: SubcloneShape; blocks: number[]; createdAt: string; verification: { metric: string; parent: number; child: number; randomInit: number } | null } | null;
  data: {
    path: string;
    kind: 'text' | 'images';
    /** 'bytes', the tokenizer.json used, or 'images'. */
    tokenizer: string;
    trainItems: number;
    /** Held-out windows (or images) every evaluation uses. */
    validationItems: number;
    /** Tokens (or images) per evaluation. */
    validationTokens: number;
  };
  settings: ResolvedSettings;
  provider: string;
  runs: ConvergenceRun[];
  verdict: Verdict;
  /** Wall seconds of the whole sweep so far. */
  seconds: number;
}

/** The CSV file name of a run: subclone-lr3e-3.csv, random-lr1.2e-2.csv. */
export function runCsvName(init: RunInit, lr: number): string {
  return `${init}-lr${formatLr(lr)}.csv`;
}

/**
 * Writes convergence.json and the CSVs of the given runs, each atomically (temporary file, then rename); files of
 * an earlier sweep in the folder are replaced (the caller asked first).
 */
export function writeConvergence(outDir: string, file: ConvergenceFile, curves: ReadonlyMap<number, readonly CurvePoint[]> = new Map()): string {
  fs.mkdirSync(outDir, { recursive: true });
  const csvs = [...curves].filter(([i, c]) => c.length && file.runs[i].csv);
  const target = path.join(outDir, CONVERGENCE_FILE);
  writeFilesAtomically([...csvs.map(([i]) => path.join(outDir, file.runs[i].csv!)), target], (temps) => {
    csvs.forEach(([, curve], k) => fs.writeFileSync(temps[k], curveCsv(curve)));
    fs.writeFileSync(temps[temps.length - 1], JSON.stringify(file, null, 2) + '\n');
  });
  return target;
}

/** Reads and checks a convergence.json (for reopening it in the panel). */
export function readConvergenceFile(file: string): ConvergenceFile {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new SubcloneError('MissingData', `cannot read ${file}: ${errorMessage(e)}`, { cause: e });
  }
  const problems = convergenceFileProblems(value);
  if (problems.length) throw new SubcloneError('BadArgument', `${file} is not a convergence file: ${problems.slice(0, 3).join('; ')}`);
  return value as ConvergenceFile;
}

/** What is wrong with a value as a ConvergenceFile (empty when nothing): the schema's required fields and types. */
export function convergenceFileProblems(v: unknown): string[] {
  const p: string[] = [];
  const obj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  const num = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  const numOrNull = (x: unknown) => x === null || num(x);
  if (!obj(v)) return ['not a JSON object'];
  if (v.version !== CONVERGENCE_VERSION) p.push(`version must be ${CONVERGENCE_VERSION}, got ${String(v.version)}`);
  for (const k of ['tool', 'createdAt']) if (typeof v[k] !== 'string') p.push(`${k} must be a string`);
  if (!['running', 'finished', 'cancelled', 'failed'].includes(v.status as string)) p.push(`status ${String(v.status)} is not running|finished|cancelled|failed`);
  if (!obj(v.child) || typeof v.child.file !== 'string' || typeof v.child.sha256 !== 'string') p.push('child must have file and sha256');
  if (v.parent !== null && (!obj(v.parent) || typeof v.parent.file !== 'string')) p.push('parent must be null or have a file');
  if (!obj(v.data) || typeof v.data.path !== 'string' || !['text', 'images'].includes(v.data.kind as string)) p.push('data must have path and kind text|images');
  if (!obj(v.settings) || !num(v.settings.steps) || !Array.isArray(v.settings.lrs) || !Array.isArray(v.settings.randomLrs)) p.push('settings must have steps, lrs and randomLrs');
  if (!Array.isArray(v.runs)) p.push('runs must be an array');
  else {
    v.runs.forEach((r: unknown, i) => {
      if (!obj(r)) return p.push(`runs[${i}] is not an object`);
      if (r.init !== 'subclone' && r.init !== 'random') p.push(`runs[${i}].init must be subclone|random`);
      if (!num(r.lr) || !((r.lr as number) > 0)) p.push(`runs[${i}].lr must be a positive number`);
      if (!Array.isArray(r.points)) return p.push(`runs[${i}].points must be an array`);
      r.points.forEach((q: unknown, j) => {
        if (!obj(q) || !num(q.step) || !numOrNull(q.trainLoss) || typeof q.valLoss !== 'number') p.push(`runs[${i}].points[${j}] must be { step, trainLoss, valLoss }`);
      });
    });
  }
  const verdict = v.verdict;
  if (!obj(verdict)) p.push('verdict must be an object');
  else {
    if (!numOrNull(verdict.target) || !numOrNull(verdict.speedupVsBestRandom) || typeof verdict.reached !== 'boolean') p.push('verdict must have target, speedupVsBestRandom and reached');
    if (!Array.isArray(verdict.speedupAtEqualLr)) p.push('verdict.speedupAtEqualLr must be an array');
    if (!obj(verdict.bestLr) || !numOrNull(verdict.bestLr.subclone) || !numOrNull(verdict.bestLr.random)) p.push('verdict.bestLr must be { subclone, random }');
  }
  return p;
}
