import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, runTask, type BenchRow } from './harness';
import { benchModel } from './benchModel';
import type { BenchContext } from './run';

/** What `apply --json` prints that the rows use. */
interface ApplyJson {
  parameters: number;
  verification: object | null;
}

const MiB = 2 ** 20;

/**
 * Subcloning the ~400 MB GPT-2 (vocab 50257) to half width and depth, next to a plain copy of the parent file, and
 * the memory each step costs (issue 12's targets): data-free apply ≤ the child + 300 MiB; importance and
 * data-driven apply ≤ 1.3× the parent (onnxruntime holds the parent once, nothing else should); the verification
 * losses on the large vocabulary reduced inside the graph.
 */
export async function rows(ctx: BenchContext): Promise<BenchRow[]> {
  const model = benchModel(ctx);
  const sizeMiB = fs.statSync(model).size / MiB;
  const kjv = path.join(__dirname, '..', 'examples', 'kjv-gpt2', 'kjv.txt');
  const out = path.join(ctx.dataDir, 'subclone-out');
  const shape = ['12', '256', '4', '1024'];
  await runTask('copyFile', [model, path.join(ctx.dataDir, 'warm.bin')]);
  const copy = await runTask('copyFile', [model, path.join(ctx.dataDir, 'copy.bin')]);
  // apply and importance are the CLI commands as users run them (runCli), the process tree measured.
  const apply = async (data: string[]) => {
    const run = await runCli(['apply', model, '--layers', shape[0], '--dim', shape[1], '--heads', shape[2], '--ffn', shape[3], ...data, '--blocks', 'first', '--out', out, '--force', '--provider', 'cpu', '--json']);
    const p = JSON.parse(run.value.stdout) as ApplyJson;
    const value = { parameters: p.parameters, childBytes: fs.statSync(path.join(out, 'model.onnx')).size, verified: p.verification !== null };
    fs.rmSync(out, { recursive: true, force: true });
    return { ...run, value };
  };
  const dataFree = await apply([]);
  const random = await apply(['--random']);
  const text = await apply(['--data', kjv]);
  const reportFile = path.join(ctx.dataDir, 'subclone-bench.importance.json');
  const importance = await runCli(['importance', model, '--data', kjv, '--samples', '16', '--seq', '256', '--out', reportFile, '--overwrite', '--provider', 'cpu']);
  const tokens = (JSON.parse(fs.readFileSync(reportFile, 'utf8')) as { calibration: { tokens: number } }).calibration.tokens;
  fs.rmSync(reportFile, { force: true });
  const surgery = await runTask<number>('subcloneSurgery', [model, path.join(ctx.dataDir, 'surgery.onnx'), ...shape]);
  fs.rmSync(path.join(ctx.dataDir, 'surgery.onnx'), { force: true });
  for (const f of ['warm.bin', 'copy.bin']) fs.rmSync(path.join(ctx.dataDir, f), { force: true });
  const childMiB = dataFree.value.childBytes / MiB;
  const ofParent = (rss: number) => `RSS ≤ 1.3× parent (${(rss / sizeMiB).toFixed(2)}×)`;
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
      note: `child file ${(surgery.value / MiB).toFixed(0)} MiB`,
    },
    {
      group: 'subclone',
      what: `whole apply 24L×512 → 12L×256 (data-free), ${(dataFree.value.parameters / 1e6).toFixed(1)}M params`,
      seconds: dataFree.seconds,
      peakRssMiB: dataFree.peakRssMiB,
      baseline: 'copy',
      ratio: dataFree.seconds / copy.seconds,
      target: `RSS ≤ child + 300 MiB (${(dataFree.peakRssMiB - childMiB).toFixed(0)} MiB over the ${childMiB.toFixed(0)} MiB child)`,
      note: 'read + recognize + importance + surgery + write + SHA-256',
    },
    {
      group: 'subclone',
      what: 'importance, 16×256 tokens of text read from its file',
      seconds: importance.seconds,
      peakRssMiB: importance.peakRssMiB,
      target: ofParent(importance.peakRssMiB),
      note: `${tokens} tokens; read + recognize + text + calibration + report`,
    },
    {
      group: 'subclone',
      what: 'whole apply on text (first blocks), verified',
      seconds: text.seconds,
      peakRssMiB: text.peakRssMiB,
      target: ofParent(text.peakRssMiB),
      note: `calibration + 3 verification losses (parent, subclone, random init)${text.value.verified ? '' : ' — NOT VERIFIED'}`,
    },
    {
      group: 'subclone',
      what: 'whole apply --random (first blocks), vocab 50257, verified',
      seconds: random.seconds,
      peakRssMiB: random.peakRssMiB,
      target: ofParent(random.peakRssMiB),
      note: `losses reduced in the graph: no [batch, seq, vocab] logits in JS${random.value.verified ? '' : ' — NOT VERIFIED'}`,
    },
  ];
}
