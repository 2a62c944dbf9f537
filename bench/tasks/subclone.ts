// Subclones a model into a fresh folder, first blocks kept; the whole run is timed:
//   subclone <model> <outDir> <layers> <dModel> <heads> <ffn> [none|random|<text file>]
// none (default): data-free importance, no verification; random or a text file: calibration on it and the
// verification losses (parent, subclone, random init) on its batches.
import * as fs from 'node:fs';
import { subclone } from '../../src/core/subclone/subclone';
import { reportTask } from '../harness';

const [source, outDir, layers, dModel, heads, ffn, data = 'none'] = process.argv.slice(2);
fs.rmSync(outDir, { recursive: true, force: true });
void reportTask(async () => {
  const r = await subclone(source, {
    shape: { layers: Number(layers), dModel: Number(dModel), heads: Number(heads), kvHeads: Number(heads), ffn: Number(ffn) },
    data: data === 'none' ? null : data,
    blocks: { kind: 'first' },
    outDir,
    provider: 'cpu',
  });
  return { parameters: r.provenance.parameters, childBytes: fs.statSync(r.modelFile).size, verified: r.provenance.verification !== null };
});
