import * as fs from 'node:fs';
import * as path from 'node:path';
import { runTask, type BenchRow } from './harness';
import { benchModel } from './benchModel';
import type { BenchContext } from './run';

/** Model I/O on the ~400 MB GPT-2: read, write (single file and external data) next to a plain file copy. */
export async function rows(ctx: BenchContext): Promise<BenchRow[]> {
  const model = benchModel(ctx);
  const sizeMiB = fs.statSync(model).size / 2 ** 20;
  const out = path.join(ctx.dataDir, 'io-out');
  fs.mkdirSync(out, { recursive: true });
  // Warm the page cache so every row reads from memory alike.
  await runTask('copyFile', [model, path.join(out, 'warm.bin')]);
  const copy = await runTask('copyFile', [model, path.join(out, 'copy.bin')]);
  const read = await runTask('readModel', [model]);
  const write = await runTask('writeModel', [model, path.join(out, 'model.onnx'), 'single']);
  const writeExt = await runTask('writeModel', [model, path.join(out, 'model-ext.onnx'), 'external']);
  fs.rmSync(out, { recursive: true, force: true });
  const size = `${sizeMiB.toFixed(0)} MiB model`;
  return [
    { group: 'io', what: `plain file copy (${size})`, seconds: copy.seconds, peakRssMiB: copy.peakRssMiB },
    { group: 'io', what: 'read model + touch all weights', seconds: read.seconds, peakRssMiB: read.peakRssMiB, baseline: 'copy', ratio: read.seconds / copy.seconds, target: `RSS ≤ 1.3× size (${(read.peakRssMiB / sizeMiB).toFixed(2)}×)` },
    { group: 'io', what: 'write model, single file', seconds: write.seconds, peakRssMiB: write.peakRssMiB, baseline: 'copy', ratio: write.seconds / copy.seconds, target: `≤ 1.5×; RSS ≤ 1.3× size (${(write.peakRssMiB / sizeMiB).toFixed(2)}×)` },
    { group: 'io', what: 'write model, external data', seconds: writeExt.seconds, peakRssMiB: writeExt.peakRssMiB, baseline: 'copy', ratio: writeExt.seconds / copy.seconds, target: '≤ 1.5×' },
  ];
}
