import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { attentionChunksFor } from '../../../src/core/autodiff/attentionChunks';
import { instrumentModel } from '../../../src/core/importance/instrument';
import { layoutOutputs } from '../../../src/core/importance/statLayout';
import { openCheckpoint } from '../../../src/core/checkpoint/openCheckpoint';
import { recognize } from '../../../src/core/recognize/recognize';
import { openModelSession } from '../../../src/core/runtime/modelSession';
import { repoCases } from './oracle';

/**
 * Importance on long sequences computes each attention's scores a slice of heads at a time: the statistics are the
 * same numbers, on every family the oracle covers, and onnxruntime runs the slices one after another (so one
 * slice's scores are freed before the next slice's exist).
 */
describe('importance: attention cut into head slices', () => {
  const cut: string[] = [];
  for (const c of repoCases()) {
    it(`${c.id}: 3 slices give the statistics of the whole attention`, async () => {
      const model = openCheckpoint(c.modelFile);
      try {
        const map = await recognize(model);
        const stats = async (slices: number) => {
          const ins = instrumentModel(model, map, slices);
          const softmaxes = ins.model.graph.node.filter((n) => n.opType === 'Softmax').length;
          const { session } = await openModelSession(ins.model, { provider: 'cpu' });
          try {
            const out = await session.run(c.feeds, layoutOutputs(ins.layout));
            return { softmaxes, values: layoutOutputs(ins.layout).map((name) => Array.from(out[name].data as Float32Array)) };
          } finally {
            await session.release();
            ins.model.close();
          }
        };
        const whole = await stats(1);
        const sliced = await stats(3);
        if (whole.softmaxes > 0 && sliced.softmaxes === 3 * whole.softmaxes) cut.push(c.id);
        assert.deepEqual(sliced.values, whole.values);
      } finally {
        model.close();
      }
    });
  }

  it('every attention is cut on the GPT-2, LLaMA, BERT and ViT fixtures', () => {
    for (const id of ['gpt2-op17', 'llama-op17', 'bert-op17-mlm', 'vit-op17']) assert.ok(cut.includes(id), `${id} was not cut (cut: ${cut.join(', ')})`);
  });

  it('onnxruntime computes the slices one after another', async () => {
    const c = repoCases().find((x) => x.id === 'gpt2-op17')!;
    const model = openCheckpoint(c.modelFile);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'subclone-profile-'));
    try {
      const ins = instrumentModel(model, await recognize(model), 3);
      const session = await ort.InferenceSession.create(ins.model.toBytes(), { logSeverityLevel: 3, enableProfiling: true, profileFilePrefix: path.join(dir, 'p') });
      await session.run(c.feeds, layoutOutputs(ins.layout));
      session.endProfiling();
      await session.release();
      const events = JSON.parse(fs.readFileSync(path.join(dir, fs.readdirSync(dir)[0]), 'utf8')) as { cat?: string; name: string }[];
      const order = events.filter((ev) => ev.cat === 'Node' && ev.name.endsWith('_kernel_time')).map((ev) => ev.name.slice(0, -'_kernel_time'.length));
      const opOf = new Map(ins.model.graph.node.map((n) => [n.name, n.opType]));
      // Each slice is a score MatMul, its Softmax and its value MatMul: run slice after slice, they read M S M M S M …;
      // all slices' scores at once would read M M M S S S ….
      const sequence = order.filter((name) => name.startsWith('attention/') && (opOf.get(name) === 'MatMul' || opOf.get(name) === 'Softmax'))
        .map((name) => (opOf.get(name) === 'Softmax' ? 'S' : 'M')).join('');
      const slices = ins.model.graph.node.filter((n) => n.opType === 'Softmax' && n.name.startsWith('attention/')).length;
      assert.ok(slices > 0);
      assert.equal(sequence, 'MSM'.repeat(slices));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      model.close();
    }
  });

  it('cuts from 2 MiB of scores per head: not the usual short calibration batches', () => {
    assert.equal(attentionChunksFor({ batch: 4, sequence: 256 }), 1);
    assert.equal(attentionChunksFor({ batch: 1, sequence: 512 }), 1);
    assert.equal(attentionChunksFor({ batch: 1, sequence: 1024 }), 4);
    assert.equal(attentionChunksFor({ batch: 1, sequence: 2048 }), 16);
  });
});
