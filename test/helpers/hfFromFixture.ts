import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OnnxModel } from '../../src/core/onnx/onnxModel';
import { fromOnnxDataType, dtypeBits } from '../../src/core/safetensors/format';
import { writeSafetensors, type SafetensorsTensor } from '../../src/core/safetensors/writer';
import type { Fixture } from './fixtures';

/**
 * Saves an ONNX fixture as a Hugging Face folder: every PyTorch parameter of truth.json's paramMap (the mirror's HF
 * names) with the values the export holds (transposed back where the export stored W.T), written to
 * model.safetensors in the export's dtype, and the fixture's config.json. Tied copies are stored once, under
 * the first name that holds them, as save_pretrained does (`drop` removes names the caller knows HF leaves out).
 */
export function hfFolderFromFixture(f: Fixture, options: { drop?: (name: string) => boolean; dir?: string } = {}): string {
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), `subclone-hf-${f.id}-`));
  const model = OnnxModel.load(f.model);
  try {
    const inits = new Map(model.graph.initializer.map((t) => [t.name, t]));
    const tensors: SafetensorsTensor[] = [];
    const seen = new Set<string>();
    for (const [name, copies] of Object.entries(f.truth.paramMap ?? {})) {
      if (options.drop?.(name)) continue;
      const copy = copies.find((c) => !c.transposed) ?? copies[0];
      const t = inits.get(copy.initializer)!;
      if (seen.has(copy.initializer) && copies.length > 0 && !copy.transposed) continue;
      seen.add(copy.initializer);
      const dtype = fromOnnxDataType(t.dataType);
      const dims = t.dims.map(Number);
      let bytes = new Uint8Array(model.tensorBytes(t));
      let shape = dims;
      if (copy.transposed) {
        const elem = dtypeBits(dtype) / 8;
        const [r, c] = dims;
        const out = new Uint8Array(bytes.length);
        for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out.set(bytes.subarray((i * c + j) * elem, (i * c + j + 1) * elem), (j * r + i) * elem);
        bytes = out;
        shape = [c, r];
      }
      tensors.push({ name, dtype, shape, bytes });
    }
    writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
  } finally {
    model.close();
  }
  fs.copyFileSync(path.join(path.dirname(f.model), 'config.json'), path.join(dir, 'config.json'));
  return dir;
}
