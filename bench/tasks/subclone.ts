// Subclones a model to half depth and half width (data-free, first blocks) into a fresh folder: the whole run is timed.
import * as fs from 'node:fs';
import { subclone } from '../../src/core/subclone/subclone';
import { reportTask } from '../harness';

const [source, outDir, layers, dModel, heads, ffn] = process.argv.slice(2);
fs.rmSync(outDir, { recursive: true, force: true });
void reportTask(async () => {
  const r = await subclone(source, {
    shape: { layers: Number(layers), dModel: Number(dModel), heads: Number(heads), kvHeads: Number(heads), ffn: Number(ffn) },
    data: null,
    blocks: { kind: 'first' },
    outDir,
    provider: 'cpu',
  });
  return { parameters: r.provenance.parameters };
});
