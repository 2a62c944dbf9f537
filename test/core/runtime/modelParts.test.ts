import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as ort from 'onnxruntime-node';
import { openCheckpoint } from '../../../src/core/checkpoint/openCheckpoint';
import { calibrationFor } from '../../../src/core/importance/calibrationFor';
import { computeImportance } from '../../../src/core/importance/computeImportance';
import { makeLossProbe } from '../../../src/core/eval/lossProbe';
import { recognize } from '../../../src/core/recognize/recognize';
import { openModelSession } from '../../../src/core/runtime/modelSession';
import { cutModel, partitionModel, runInParts, SpilledTensors } from '../../../src/core/runtime/modelParts';
import { randomInit } from '../../../src/core/train/randomInit';
import { trainingTargetFromMap } from '../../../src/core/train/target';
import { float16ToFloat32 } from '../../../src/core/onnx/float16';
import { fixturePath } from '../../helpers/paths';
import { repoCases } from '../importance/oracle';

/** Descriptors open on the parts' temporary files (other tests' child processes close pipes at their own pace). */
const partFiles = () => fs.readdirSync('/proc/self/fd').filter((fd) => {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`).includes('subclone-parts-');
  } catch {
    return false;
  }
}).length;
const leftovers = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('subclone-parts-'));

/**
 * A large model runs in sessions one after the other, cut after a block (and after the embedding): what later parts
 * read waits in an unlinked temporary file, and every output is the one the whole model gives.
 */
describe('a model run in parts', () => {
  for (const c of repoCases()) {
    it(`${c.id}: the outputs of the whole model, batch by batch, in the parts chosen, in two and in three`, async () => {
      const model = openCheckpoint(c.modelFile);
      try {
        const map = await recognize(model);
        const outputs = model.graph.output.map((o) => o.name);
        const { session } = await openModelSession(model, { provider: 'cpu' });
        let whole: Record<string, ort.Tensor>;
        try {
          whole = await session.run(c.feeds, outputs);
        } finally {
          await session.release();
        }
        const middle = map.blocks[Math.floor((map.blocks.length - 1) / 2)].output;
        const chosen = partitionModel(model, map.blocks.map((b) => b.output), map.embedding.output);
        assert.ok(chosen && chosen.length >= 2, 'the model is cut');
        for (const parts of [chosen, cutModel(model, [middle]), cutModel(model, [map.embedding.output, middle])]) {
          assert.ok(parts, 'cut');
          assert.ok(parts.every((p) => p.weightBytes > 0), `weights ${parts.map((p) => p.weightBytes).join(' / ')}`);
          assert.ok(parts.slice(1).every((p) => p.reads.length > 0), 'every later part reads what an earlier one computed');
          const before = leftovers();
          const got: Record<string, ort.Tensor>[] = [];
          let open = 0;
          await runInParts(parts, { provider: 'cpu' }, { batches: 2, feeds: () => c.feeds, onOutputs: (i, out) => void (got[i] = out), onProgress: () => void (open = Math.max(open, partFiles())) });
          assert.ok(open >= 1, 'the values passed on wait in a temporary file');
          assert.equal(partFiles(), 0, 'the temporary files are closed');
          assert.deepEqual(leftovers(), before, 'and never shown in a folder');
          for (const out of got) {
            assert.deepEqual(Object.keys(out).sort(), [...outputs].sort());
            for (const name of outputs) {
              assert.deepEqual(out[name].dims, whole[name].dims, name);
              if (whole[name].type !== 'float16') {
                assert.deepEqual(Array.from(out[name].data as Float32Array), Array.from(whole[name].data as Float32Array), name);
                continue;
              }
              // float16 values pass between parts rounded to float16, where the whole graph may keep onnxruntime's float32 copy.
              const [a, b] = [out[name], whole[name]].map((t) => float16ToFloat32(t.data as Uint16Array));
              a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) <= 1e-2 * Math.max(1, Math.abs(b[i])), `${name}[${i}]: ${x} vs ${b[i]}`));
            }
          }
        }
      } finally {
        model.close();
      }
    });
  }

  it('tensors of every element type set aside read back equal, one descriptor for all', () => {
    const store = new SpilledTensors();
    const records = [0, 1, 2].map((k) => ({
      f: new ort.Tensor('float32', Float32Array.from([k, 1.5, -2]), [1, 3]),
      i: new ort.Tensor('int64', BigInt64Array.from([BigInt(k), -7n]), [2]),
      b: new ort.Tensor('bool', Uint8Array.from([1, 0, k % 2]), [3, 1]),
      h: new ort.Tensor('float16', Uint16Array.from([0x3c00 + k]), [1]),
      e: new ort.Tensor('float32', new Float32Array(0), [0, 4]),
    }));
    for (const r of records) store.push(r);
    assert.equal(partFiles(), 1, 'one descriptor, on a file no folder shows');
    for (const k of [2, 0, 1]) {
      const back = store.get(k);
      for (const [name, t] of Object.entries(records[k])) {
        assert.equal(back[name].type, t.type, name);
        assert.deepEqual(back[name].dims, t.dims, name);
        assert.deepEqual(Array.from(back[name].data as Float32Array), Array.from(t.data as Float32Array), name);
      }
    }
    store.close();
    assert.equal(partFiles(), 0);
    assert.throws(() => store.get(0), /after they were freed/);
  });

  it('the next-token loss of the parent and of a random init is the same in parts', async () => {
    const parent = openCheckpoint(fixturePath('gpt2-op17'));
    try {
      const map = await recognize(parent);
      const source = () => calibrationFor(parent.file!, map, { data: { kind: 'random' }, samples: 3, batchSize: 2, seed: 5 });
      const whole = await makeLossProbe(parent, map, source(), { provider: 'cpu' });
      const halved = await makeLossProbe(parent, map, source(), { provider: 'cpu', partsAboveBytes: 0 });
      const other = randomInit(parent, trainingTargetFromMap(map), 1);
      for (const m of [parent, other]) assert.equal(await halved.loss(m), await whole.loss(m));
      whole.close();
      halved.close();
    } finally {
      parent.close();
    }
  });

  it('importance gives the same report in parts', async () => {
    const model = openCheckpoint(fixturePath('llama-op17'));
    try {
      const map = await recognize(model);
      const options = { data: { kind: 'random' as const }, samples: 4, batchSize: 2, seed: 2, provider: 'cpu' as const };
      const progress: string[] = [];
      const whole = await computeImportance(model, map, options);
      const halved = await computeImportance(model, map, { ...options, partsAboveBytes: 0, onProgress: (p) => progress.push(`${p.done}/${p.total}`) });
      assert.deepEqual(halved.ffn, whole.ffn);
      assert.deepEqual(halved.heads, whole.heads);
      assert.deepEqual(halved.embedding, whole.embedding);
      assert.deepEqual(halved.blocks, whole.blocks);
      assert.equal(halved.calibration.tokens, whole.calibration.tokens);
      const total = Number(progress[0].split('/')[1]);
      assert.ok(total === 4 || total === 6, `2 batches through 2 or 3 parts: ${progress.join(' ')}`);
      assert.deepEqual(progress, Array.from({ length: total + 1 }, (_, k) => `${k}/${total}`), 'each part\'s batches count');
    } finally {
      model.close();
    }
  });
});
