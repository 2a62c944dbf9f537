import type { ConvergenceFile } from '../../core/converge/convergenceFile';
import { runConvergence } from '../../core/converge/runConvergence';
import { CONVERGE_DEFAULTS, formatLr, sameLr, type ConvergeSettings } from '../../core/converge/settings';
import { SubcloneError } from '../../core/errors';
import { intOption, providerOption, requireModelPath, stringOption } from '../args';
import type { Command, ParsedArgs } from '../command';
import { table } from '../format';

const d = CONVERGE_DEFAULTS;
const USAGE = [
  'subclone converge <child model.onnx|hf-folder> --data <text|folder> [--steps N] [--lrs a,b,…] [--random-lrs a,b,…]',
  '    [--batch B] [--seq T] [--eval-every K] [--eval-batches N] [--seed S] [--warmup W] [--parallel N|auto]',
  '    [--widen N] [--out dir] [--force] [--provider auto|cuda|cpu] [--json]',
  '',
  'Trains the child from its own weights and from a random init of the same graph at each learning rate (the same',
  'data order and held-out windows for every run) and says how many times fewer steps the subclone needs to reach',
  "the best random run's final validation loss. Writes <out>/convergence.json and one CSV per run (default out:",
  '<child folder>/convergence/). Ctrl+C keeps the finished runs and writes the verdict over them. When an init\'s',
  `best lr is the edge of its sweep, up to --widen (default ${d.widen}) more runs go past that edge, a round at a time.`,
  `Defaults: --steps ${d.steps} --lrs ${d.lrs.map(formatLr).join(',')} --random-lrs ${d.randomLrs.map(formatLr).join(',')}`,
  `--batch ${d.batch} --seq ${d.seq} --eval-every steps/24 --eval-batches ${d.evalBatches} --parallel auto (one run per core`,
  'on the CPU for small models).',
].join('\n');

export const convergeCommand: Command = {
  name: 'converge',
  summary: 'train the subclone and a random init at several learning rates; report the speed-up',
  usage: USAGE,
  options: {
    data: { type: 'string' },
    steps: { type: 'string' },
    lrs: { type: 'string' },
    'random-lrs': { type: 'string' },
    batch: { type: 'string' },
    seq: { type: 'string' },
    'eval-every': { type: 'string' },
    'eval-batches': { type: 'string' },
    seed: { type: 'string' },
    warmup: { type: 'string' },
    parallel: { type: 'string' },
    widen: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
    provider: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, ctx) {
    const child = requireModelPath(args);
    const data = stringOption(args, 'data');
    if (!data) throw new SubcloneError('BadArgument', 'missing --data (a text file or an image folder)');
    const out = stringOption(args, 'out');
    let labels: string[] = [];
    const result = await runConvergence(
      { child, data, settings: settingsFrom(args), overwrite: args.values.force === true, ...(out ? { outDir: out } : {}) },
      {
        signal: ctx.signal,
        onNotice: (m) => ctx.err(`note: ${m}`),
        onPlan: (f) => {
          labels = f.runs.map((r) => `${r.init} lr ${formatLr(r.lr)}`);
          ctx.err(`${f.runs.length} runs of ${f.settings.steps} steps, ${f.settings.parallel > 1 ? `${f.settings.parallel} side by side` : 'one after another'}`);
        },
        onRunAdded: (i, r) => {
          labels[i] = `${r.init} lr ${formatLr(r.lr)}`;
          ctx.err(`widening the sweep: ${labels[i]} (the best ${r.init === 'random' ? 'random-init' : 'subclone'} lr is at the edge of its sweep)`);
        },
        onPoint: (i, p) => ctx.err(`${labels[i]}: step=${p.step} val=${p.valLoss.toFixed(4)}${p.trainLoss === null ? '' : ` train=${p.trainLoss.toFixed(4)}`}`),
        onRunFinish: (_i, r) => {
          const last = r.points[r.points.length - 1];
          const at = last ? ` (validation loss ${last.valLoss.toFixed(4)} at step ${last.step})` : '';
          ctx.err(`${r.init} lr ${formatLr(r.lr)}: ${r.status} after ${r.stepsDone} steps${at}${r.error ? `: ${r.error}` : ''}`);
        },
      },
    );
    const f = result.content;
    if (args.values.json) ctx.out(JSON.stringify(f, null, 2));
    else {
      ctx.out(runTable(f));
      ctx.out('');
      ctx.out(f.verdict.sentence);
      for (const e of f.verdict.speedupAtEqualLr) {
        ctx.out(`  at lr ${formatLr(e.lr)}: random init's final ${e.target.toFixed(3)} ${e.reached ? `reached at step ${Math.round(e.stepsToTarget!)}${e.speedup !== null ? ` (${e.speedup.toFixed(2)}×)` : ''}` : `not reached in ${f.settings.steps} steps`}`);
      }
      ctx.out(`wrote ${result.file} (${f.seconds.toFixed(0)} s)`);
    }
    return result.cancelled ? 130 : 0;
  },
};

/** The table of runs: one row per (init, lr). */
export function runTable(f: ConvergenceFile): string {
  const v = f.verdict;
  const rows = f.runs.map((r) => {
    const last = r.points[r.points.length - 1];
    const best = v.bestLr[r.init] !== null && sameLr(v.bestLr[r.init]!, r.lr) && r.status === 'finished';
    return [
      r.init + (best ? ' *' : ''),
      formatLr(r.lr),
      r.status,
      `${r.stepsDone}/${r.steps}`,
      last ? last.valLoss.toFixed(4) : '-',
      r.tokensPerS === null ? '-' : Math.round(r.tokensPerS),
      r.seconds === null ? '-' : Math.round(r.seconds),
    ];
  });
  return table(rows, ['init', 'lr', 'status', 'steps', 'val loss', 'tok/s', 'seconds']) + '\n(* best run of its init: the lowest final validation loss)';
}

function settingsFrom(args: ParsedArgs): Partial<ConvergeSettings> {
  const s: Partial<ConvergeSettings> = { provider: providerOption(args) };
  const ints = { steps: 'steps', batch: 'batch', seq: 'seq', evalBatches: 'eval-batches', seed: 'seed', warmup: 'warmup', widen: 'widen' } as const;
  for (const [key, flag] of Object.entries(ints)) {
    const n = intOption(args, flag);
    if (n !== undefined) s[key as keyof typeof ints] = n;
  }
  const evalEvery = intOption(args, 'eval-every');
  if (evalEvery !== undefined) s.evalEvery = evalEvery;
  const lrs = lrList(args, 'lrs');
  if (lrs) s.lrs = lrs;
  const randomLrs = lrList(args, 'random-lrs');
  if (randomLrs) s.randomLrs = randomLrs;
  const parallel = stringOption(args, 'parallel');
  if (parallel !== undefined && parallel !== 'auto') {
    const n = intOption(args, 'parallel');
    if (n === undefined || n < 1) throw new SubcloneError('BadArgument', `--parallel must be a positive integer or auto, got ${parallel}`);
    s.parallel = n;
  }
  return s;
}

/** --lrs 1e-3,2e-3 (an empty list, --lrs '', runs no subclone run). */
function lrList(args: ParsedArgs, flag: string): number[] | undefined {
  const v = stringOption(args, flag);
  if (v === undefined) return undefined;
  const parts = v.split(',').map((x) => x.trim()).filter((x) => x !== '');
  return parts.map((x) => {
    const n = Number(x);
    if (!Number.isFinite(n) || !(n > 0)) throw new SubcloneError('BadArgument', `--${flag} needs positive numbers separated by commas, got ${x}`);
    return n;
  });
}
