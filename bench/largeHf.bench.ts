import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCheckpointWeights } from '../src/core/safetensors/shards';
import { runCli, type BenchRow } from './harness';
import { largeHfModel } from './largeHfModel';
import type { BenchContext } from './run';

const MiB = 2 ** 20;

/**
 * A Hugging Face checkpoint as big as issue 12's > 2 GiB model, end to end: TinyLlama's shape in bfloat16, three
 * shards with an index. Each step is the CLI command a user runs on the folder: inspect, importance on 8 samples,
 * and a data-driven apply to 11 layers × width 1024 written in both formats (the HF child stays bfloat16).
 */
export async function rows(ctx: BenchContext): Promise<BenchRow[]> {
  const folder = largeHfModel(ctx);
  const parentMiB = fs.readdirSync(folder).filter((f) => f.endsWith('.safetensors')).reduce((n, f) => n + fs.statSync(path.join(folder, f)).size, 0) / MiB;
  const kjv = path.join(__dirname, '..', 'examples', 'kjv-gpt2', 'kjv.txt');
  const out = path.join(ctx.dataDir, 'large-hf-out');
  const report = path.join(ctx.dataDir, 'large-hf.importance.json');
  const cli = (...args: string[]) => runCli(args);
  const inspect = await cli('inspect', folder);
  const importance = await cli('importance', folder, '--data', kjv, '--samples', '8', '--seq', '256', '--out', report, '--overwrite', '--provider', 'cpu');
  fs.rmSync(out, { recursive: true, force: true });
  const apply = await cli('apply', folder, '--layers', '11', '--dim', '1024', '--data', kjv, '--samples', '8', '--verify-samples', '8', '--blocks', 'magnitude', '--out', out, '--provider', 'cpu', '--json');
  const p = JSON.parse(apply.value.stdout) as { parameters: number; verification: { parent: number; child: number; randomInit: number } | null };
  const child = openCheckpointWeights(out);
  const dtypes = [...new Set(child.names.map((n) => child.get(n).entry.dtype))].join('+');
  const childMiB = child.totalBytes / MiB;
  child.close();
  fs.rmSync(out, { recursive: true, force: true });
  fs.rmSync(report, { force: true });
  const ofParent = (rss: number) => `${(rss / parentMiB).toFixed(2)}× the parent`;
  const v = p.verification;
  return [
    { group: 'largeHf', what: `inspect, 1.1B-param LLaMA HF folder, bf16 in 3 shards (${parentMiB.toFixed(0)} MiB)`, seconds: inspect.seconds, peakRssMiB: inspect.peakRssMiB, target: ofParent(inspect.peakRssMiB), note: 'config.json → graph; weights stay in the shards' },
    { group: 'largeHf', what: 'importance, 8×256 tokens of text', seconds: importance.seconds, peakRssMiB: importance.peakRssMiB, target: ofParent(importance.peakRssMiB), note: 'read + build + recognize + calibration + report' },
    {
      group: 'largeHf',
      what: `apply → 11L×1024 on text, blocks by magnitude, verified, both formats (${(p.parameters / 1e6).toFixed(0)}M params, HF child ${childMiB.toFixed(0)} MiB ${dtypes})`,
      seconds: apply.seconds,
      peakRssMiB: apply.peakRssMiB,
      target: ofParent(apply.peakRssMiB),
      note: v ? `held-out loss parent ${v.parent.toFixed(3)}, child ${v.child.toFixed(3)}, random init ${v.randomInit.toFixed(3)}` : 'NOT VERIFIED',
    },
  ];
}
