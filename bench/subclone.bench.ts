import * as fs from 'node:fs';
import * as path from 'node:path';
import { runTask, type BenchRow } from './harness';
import { benchModel } from './benchModel';
import type { BenchContext } from './run';

/** Subcloning the ~400 MB GPT-2 to half width and depth, next to a plain copy of the parent file. */
export async function rows(ctx: BenchContext): Promise<BenchRow[]> {
  const model = benchModel(ctx);
  const sizeMiB = fs.statSync(model).size / 2 ** 20;
  const out = path.join(ctx.dataDir, 'subclone-out');
  await runTask('copyFile', [model, path.join(ctx.dataDir, 'warm.bin')]);
  const copy = await runTask('copyFile', [model, path.join(ctx.dataDir, 'copy.bin')]);
  const run = await runTask<{ parameters: number }>('subclone', [model, out, '12', '256', '4', '1024']);
  fs.rmSync(out, { recursive: true, force: true });
  const surgery = await runTask<number>('subcloneSurgery', [model, path.join(ctx.dataDir, 'surgery.onnx'), '12', '256', '4', '1024']);
  fs.rmSync(path.join(ctx.dataDir, 'surgery.onnx'), { force: true });
  for (const f of ['warm.bin', 'copy.bin']) fs.rmSync(path.join(ctx.dataDir, f), { force: true });
  return [
    { group: 'subclone', what: `plain copy of the parent (${sizeMiB.toFixed(0)} MiB)`, seconds: copy.seconds, peakRssMiB: copy.peakRssMiB },
    {
      group: 'subclone',
      what: 'selection + surgery + write (model read and scored)',
      seconds: surgery.seconds,
      peakRssMiB: null,
      baseline: 'copy',
      ratio: surgery.seconds / copy.seconds,
      target: '≤ 2×',
      note: `child file ${(surgery.value / 2 ** 20).toFixed(0)} MiB`,
    },
    {
      group: 'subclone',
      what: `whole apply 24L×512 → 12L×256 (data-free), ${(run.value.parameters / 1e6).toFixed(1)}M params`,
      seconds: run.seconds,
      peakRssMiB: run.peakRssMiB,
      baseline: 'copy',
      ratio: run.seconds / copy.seconds,
      target: `RSS ≤ 1.5× parent (${(run.peakRssMiB / sizeMiB).toFixed(2)}×)`,
      note: 'read + recognize + importance + surgery + write + SHA-256',
    },
  ];
}
