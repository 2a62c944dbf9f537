import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { instrumentModel } from '../../../src/core/importance/instrument';
import { openModelSession } from '../../../src/core/runtime/modelSession';
import { layoutOutputs } from '../../../src/core/importance/statLayout';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { recognize } from '../../../src/core/recognize/recognize';
import { fixturePath } from '../../helpers/paths';
import { repoCases } from '../importance/oracle';

/**
 * Every route to onnxruntime gives the in-memory route's statistics (the oracle checks the numbers) and leaves
 * nothing behind: weights read by range from the model file or its external data, and large inline weights
 * (a model decoded from bytes) streamed to a temporary folder.
 */
describe('importance: sessions on the instrumented model', () => {
  const temporaries = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('subclone-importance-'));
  const cases = [
    ['gpt2-op17', 'weights read from the model file', false],
    ['gpt2-op17-extdata', 'weights read from the external data file', false],
    ['gpt2-op17', 'large inline weights streamed to a temporary file', true],
  ] as const;

  for (const [id, route, inMemory] of cases) {
    it(`${id}: ${route}`, async () => {
      const c = repoCases().find((x) => x.id === id)!;
      const file = fixturePath(id);
      const model = inMemory ? OnnxModel.fromBytes(fs.readFileSync(file), path.dirname(file)) : OnnxModel.load(file);
      const ins = instrumentModel(model, await recognize(model));
      const before = temporaries();
      const run = async (limit: number) => {
        const { session } = await openModelSession(ins.model, { provider: 'cpu' }, limit);
        try {
          const out = await session.run(c.feeds, layoutOutputs(ins.layout));
          return layoutOutputs(ins.layout).flatMap((name) => Array.from(out[name].data as Float32Array));
        } finally {
          await session.release();
        }
      };
      // Nothing is written beside the model (its folder may be read-only).
      const written: string[] = [];
      const watcher = fs.watch(path.dirname(file), (_event, name) => written.push(String(name)));
      let stats: number[];
      try {
        stats = await run(0);
        await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        watcher.close();
      }
      assert.deepEqual(written, [], 'nothing written into the model folder');
      assert.deepEqual(temporaries(), before, 'temporary folder removed');
      assert.ok(stats.length > 0 && stats.every(Number.isFinite));
      assert.deepEqual(stats, await run(Number.MAX_SAFE_INTEGER), 'in memory: the same statistics');
      model.close();
    });
  }
});

describe('importance: execution order', () => {
  it('onnxruntime reduces each block\'s activations right after the block, not at the end of the run', async () => {
    const ort = await import('onnxruntime-node');
    const c = repoCases().find((x) => x.id === 'gpt2-op17')!;
    const model = OnnxModel.load(fixturePath('gpt2-op17'));
    const map = await recognize(model);
    const ins = instrumentModel(model, map);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'subclone-profile-'));
    try {
      const session = await ort.InferenceSession.create(ins.model.toBytes(), {
        logSeverityLevel: 3,
        enableProfiling: true,
        profileFilePrefix: path.join(dir, 'p'),
      });
      await session.run(c.feeds, layoutOutputs(ins.layout));
      session.endProfiling();
      await session.release();
      const events = JSON.parse(fs.readFileSync(path.join(dir, fs.readdirSync(dir)[0]), 'utf8')) as { cat?: string; name: string }[];
      const order = events.filter((ev) => ev.cat === 'Node' && ev.name.endsWith('_kernel_time')).map((ev) => ev.name.slice(0, -'_kernel_time'.length));
      const producer = (value: string) => ins.model.graph.node.find((n) => n.output.includes(value))!.name;
      const at = (value: string) => order.indexOf(producer(value));
      const last = map.blocks[map.blocks.length - 1];
      assert.ok(at(last.output) > 0);
      // Block 0's statistics run before the last block starts (so its activations are freed as early as usual).
      for (const stat of [ins.layout.ffn[0], ins.layout.heads[0], ins.layout.blocks[0], ins.layout.points[1]]) {
        assert.ok(at(stat) >= 0 && at(stat) < at(last.input), `${stat} ran at step ${at(stat)}, the last block starts after ${at(last.input)}`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
