import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONVERGE_DEFAULTS, formatLr, type ConvergeSettings } from '../src/core/converge/settings';
import type { Verdict } from '../src/core/converge/verdict';
import { runTask, type BenchRow } from './harness';
import type { BenchContext } from './run';

interface SweepValue {
  parallel: number;
  seconds: number;
  verdict: Verdict;
  runs: { init: string; lr: number; status: string; final: number | null; tokensPerS: number | null; seconds: number | null }[];
}

const root = path.join(__dirname, '..');
const example = path.join(root, 'examples', 'kjv-gpt2');
const KJV = path.join(example, 'kjv.txt');
/** SPEC §4: the PyTorch reference. */
const REFERENCE = { speedup: 2.1, bestRandomFinal: 1.733 };

/**
 * The example child (`npm run example`'s shape, the example's own importance and loss-guided blocks), made afresh
 * in bench/.data with the current code.
 */
function exampleChild(ctx: BenchContext): string {
  const out = path.join(ctx.dataDir, 'converge', 'kjv-3L-96d');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  execFileSync(process.execPath, ['esbuild.config.mjs'], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, [path.join(root, 'dist', 'cli.js'), 'apply', path.join(example, 'model.onnx'), '--layers', '3', '--dim', '96', '--heads', '3', '--ffn', '384',
    '--data', KJV, '--out', out, '--force'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return path.join(out, 'model.onnx');
}

const sweep = (ctx: BenchContext, child: string, name: string, settings: Partial<ConvergeSettings>) =>
  runTask<SweepValue>('convergeSweep', [child, KJV, path.join(ctx.dataDir, 'converge', name), JSON.stringify({ provider: 'cpu', ...settings })]);

const runsNote = (v: SweepValue) =>
  v.runs.map((r) => `${r.init === 'subclone' ? 'S' : 'R'}@${formatLr(r.lr)} ${r.final === null ? r.status : r.final.toFixed(3)}${r.status === 'finished' ? '' : ` (${r.status})`}`).join(', ');

/**
 * The fidelity row (SPEC §4: the example parent → 3L×96, 600 steps, the default sweeps, batch 16 × 128; speed-up
 * vs the best random init ≥ 2.1, the best random run's final loss within 0.05 of 1.733), and the whole sweep's wall
 * time side by side (one run per core) against one after another, on a shorter sweep (150 steps, same lrs).
 */
export async function rows(ctx: BenchContext): Promise<BenchRow[]> {
  const child = exampleChild(ctx);
  const full = await sweep(ctx, child, 'fidelity', { steps: 600, batch: 16, seq: 128 });
  const v = full.value.verdict;
  const bestRandom = v.finalValLoss.random;
  const short = { steps: 150, batch: 16, seq: 128 };
  const parallel = await sweep(ctx, child, 'parallel', { ...short, parallel: 'auto' });
  const sequential = await sweep(ctx, child, 'sequential', { ...short, parallel: 1 });
  const tps = (s: SweepValue) => s.runs.reduce((a, r) => a + (r.tokensPerS ?? 0), 0) / s.runs.length;
  const runs = CONVERGE_DEFAULTS.lrs.length + CONVERGE_DEFAULTS.randomLrs.length;
  return [
    {
      group: 'converge',
      what: `example 3L×96: speed-up vs best random (600 steps, default sweeps, 16×128, ${full.value.parallel} side by side)`,
      seconds: full.value.seconds,
      peakRssMiB: full.peakRssMiB,
      baseline: `PyTorch ${REFERENCE.speedup}×`,
      ratio: v.speedupVsBestRandom,
      target: '≥ 2.1×',
      note: `subclone@${v.bestLr.subclone === null ? '-' : formatLr(v.bestLr.subclone)} reaches random@${v.bestLr.random === null ? '-' : formatLr(v.bestLr.random)}'s final ${v.target?.toFixed(3) ?? '-'} at step ${v.stepsToTarget?.toFixed(0) ?? 'never'}; fastest subclone run lr ${v.fastest ? formatLr(v.fastest.lr) : '-'} ${v.fastest?.speedup?.toFixed(2) ?? '-'}×; at equal lr ${v.speedupAtEqualLr.map((e) => `${formatLr(e.lr)}: ${e.speedup?.toFixed(2) ?? 'not reached'}`).join(', ')}; runs ${runsNote(full.value)}`,
    },
    {
      group: 'converge',
      what: 'example 3L×96: best random run’s final validation loss',
      seconds: null,
      peakRssMiB: null,
      baseline: `PyTorch ${REFERENCE.bestRandomFinal}`,
      ratio: bestRandom === null ? null : bestRandom / REFERENCE.bestRandomFinal,
      target: '|Δ| ≤ 0.05',
      note: bestRandom === null ? 'no random run finished' : `${bestRandom.toFixed(3)} at lr ${formatLr(v.bestLr.random!)} (Δ ${(bestRandom - REFERENCE.bestRandomFinal).toFixed(3)}); best subclone ${v.finalValLoss.subclone?.toFixed(3)} at lr ${formatLr(v.bestLr.subclone!)}`,
    },
    {
      group: 'converge',
      what: `whole sweep side by side (${parallel.value.parallel} at once, 1 thread each), ${runs} runs × 150 steps`,
      seconds: parallel.value.seconds,
      peakRssMiB: parallel.peakRssMiB,
      baseline: `one after another (${sequential.value.seconds.toFixed(1)} s)`,
      ratio: sequential.value.seconds / parallel.value.seconds,
      target: '> 1× on ≥ 2 cores',
      note: `mean tokens/s per run: ${Math.round(tps(parallel.value))} side by side, ${Math.round(tps(sequential.value))} alone with onnxruntime's threads`,
    },
  ];
}
