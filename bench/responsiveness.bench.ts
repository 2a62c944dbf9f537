import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyExampleFiles } from '../test/helpers/paths';
import { execFileSync } from 'node:child_process';
import { benchModel } from './benchModel';
import { runTask, type BenchRow } from './harness';
import type { BenchContext } from './run';

interface Delay {
  seconds: number;
  maxMs: number;
  p99Ms: number;
  progress: number;
}

const root = path.join(__dirname, '..');
const kjv = path.join(root, 'examples', 'kjv-gpt2', 'kjv.txt');

/**
 * The host's event-loop delay while the model worker computes importance, on the example and on the ~400 MB
 * GPT-2 (the extension host talks to the same worker bundle through the same client). Target: max < 100 ms.
 */
export async function rows(ctx: BenchContext): Promise<BenchRow[]> {
  execFileSync(process.execPath, ['esbuild.config.mjs'], { cwd: root, stdio: 'ignore' });
  // The worker writes the report beside the model: a copy of the example, so examples/ stays as shipped.
  const example = path.join(ctx.dataDir, 'responsiveness', 'kjv-gpt2');
  fs.mkdirSync(example, { recursive: true });
  copyExampleFiles(example);
  const out: BenchRow[] = [];
  for (const [label, model, samples] of [['kjv-gpt2 (6×192)', path.join(example, 'model.onnx'), '64'], ['GPT-2 24×512 (400 MB)', benchModel(ctx), '16']] as const) {
    const m = await runTask<Delay>('hostResponsiveness', [model, kjv, samples]);
    out.push({
      group: 'responsiveness',
      what: `${label}: host event-loop delay while the worker computes importance (${samples} samples)`,
      seconds: m.value.seconds,
      peakRssMiB: m.peakRssMiB,
      ratio: null,
      target: 'max < 100 ms',
      note: `max ${m.value.maxMs.toFixed(1)} ms, p99 ${m.value.p99Ms.toFixed(1)} ms over ${m.value.seconds.toFixed(1)} s (${m.value.progress} progress messages)`,
    });
  }
  return out;
}
