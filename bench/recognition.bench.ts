import * as fs from 'node:fs';
import { runTask, type BenchRow } from './harness';
import { benchModel } from './benchModel';
import type { BenchContext } from './run';

/** Structure recognition of the 24-layer, ~400 MB GPT-2 after it is read. Target: under 2 s. */
export async function rows(ctx: BenchContext): Promise<BenchRow[]> {
  const model = benchModel(ctx);
  const sizeMiB = fs.statSync(model).size / 2 ** 20;
  const r = await runTask<{ layers: number; groups: number }>('recognize', [model]);
  return [
    {
      group: 'recognition',
      what: `recognize ${r.value.layers}-layer GPT-2 (${sizeMiB.toFixed(0)} MiB), ${r.value.groups} coupling groups`,
      seconds: r.seconds,
      peakRssMiB: r.peakRssMiB,
      target: '< 2 s after reading',
    },
  ];
}
