import * as path from 'node:path';
import { benchModel } from './benchModel';
import { runTask, type BenchRow, type Measured } from './harness';
import type { BenchContext } from './run';

interface RunValue {
  tokens: number;
  batches: number;
  runSeconds: number;
}

type Mode = 'forward' | 'hidden' | 'importance';
const MODES: Mode[] = ['forward', 'hidden', 'importance'];

/**
 * Calibration throughput of the importance run next to a plain forward pass of the same model on the same
 * batches (each in its own process), on the example parent and on the ~400 MB GPT-2. Modes alternate and repeat;
 * the fastest repetition of each counts, since the machine may be shared. Target: importance ≤ 1.3× the forward
 * time (batch loops compared; end-to-end times in the note).
 */
export async function rows(ctx: BenchContext): Promise<BenchRow[]> {
  const kjv = path.join(__dirname, '..', 'examples', 'kjv-gpt2', 'kjv.txt');
  return [
    ...(await compare('kjv-gpt2 (6×192)', path.join(__dirname, '..', 'examples', 'kjv-gpt2', 'model.onnx'), kjv, 256, 128, 3)),
    ...(await compare('GPT-2 24×512 (400 MB)', benchModel(ctx), kjv, 16, 256, 2)),
  ];
}

async function compare(label: string, model: string, data: string, samples: number, seq: number, reps: number): Promise<BenchRow[]> {
  const best = new Map<Mode, Measured<RunValue>>();
  for (let r = 0; r < reps; r++) {
    for (const mode of MODES) {
      const m = await runTask<RunValue>('importanceRun', [model, data, String(samples), String(seq), mode]);
      const prev = best.get(mode);
      if (!prev || m.value.runSeconds < prev.value.runSeconds) best.set(mode, { ...m, peakRssMiB: Math.max(m.peakRssMiB, prev?.peakRssMiB ?? 0) });
    }
  }
  const forward = best.get('forward')!;
  const hidden = best.get('hidden')!;
  const importance = best.get('importance')!;
  const rate = (m: Measured<RunValue>) => `${Math.round(m.value.tokens / m.value.runSeconds)} tokens/s`;
  const batches = `${samples}×${seq} tokens in ${forward.value.batches} batch${forward.value.batches === 1 ? '' : 'es'}`;
  return [
    { group: 'importance', what: `${label}: plain forward, all outputs (${batches})`, seconds: forward.value.runSeconds, peakRssMiB: forward.peakRssMiB, note: `${rate(forward)}; ${forward.seconds.toFixed(2)} s with session` },
    { group: 'importance', what: `${label}: forward to the last block (no head)`, seconds: hidden.value.runSeconds, peakRssMiB: hidden.peakRssMiB, baseline: 'forward', ratio: hidden.value.runSeconds / forward.value.runSeconds, note: rate(hidden) },
    {
      group: 'importance',
      what: `${label}: importance calibration`,
      seconds: importance.value.runSeconds,
      peakRssMiB: importance.peakRssMiB,
      baseline: 'forward',
      ratio: importance.value.runSeconds / forward.value.runSeconds,
      target: '≤ 1.3× forward time',
      note: `${rate(importance)}; ${(importance.value.runSeconds / hidden.value.runSeconds).toFixed(2)}× the no-head forward; ${importance.seconds.toFixed(2)} s end to end (instrument, session, report)`,
    },
  ];
}
