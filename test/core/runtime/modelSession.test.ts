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

/** The file routes to onnxruntime give the in-memory route's statistics (the oracle checks external data) and leave no temporary file behind. */
describe('importance: sessions on the instrumented model', () => {
  const temporaries = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('subclone-importance-'));

  for (const [id, route] of [['gpt2-op17', 'file (large inline weights)'], ['gpt2-op17-extdata', 'graph beside its external data']] as const) {
    it(`${id}: through a ${route}`, async () => {
      const c = repoCases().find((x) => x.id === id)!;
      const model = OnnxModel.load(fixturePath(id));
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
      const viaFile = await run(0);
      assert.deepEqual(temporaries(), before, 'temporary folder removed');
      assert.deepEqual(fs.readdirSync(path.dirname(fixturePath(id))).filter((f) => f.includes('.tmp-')), [], 'no temporary graph beside the model');
      if (!model.hasExternalData) assert.deepEqual(viaFile, await run(Number.MAX_SAFE_INTEGER));
      assert.ok(viaFile.length > 0 && viaFile.every(Number.isFinite));
    });
  }
});

describe('importance: execution order', () => {
  it('onnxruntime reduces each block\'s activations right after the block, not at the end of the run', async () => {
    const { toBinary } = await import('@bufbuild/protobuf');
    const ort = await import('onnxruntime-node');
    const { ModelProtoSchema } = await import('../../../src/core/onnx/proto');
    const c = repoCases().find((x) => x.id === 'gpt2-op17')!;
    const model = OnnxModel.load(fixturePath('gpt2-op17'));
    const map = await recognize(model);
    const ins = instrumentModel(model, map);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'subclone-profile-'));
    try {
      const session = await ort.InferenceSession.create(toBinary(ModelProtoSchema, ins.model.proto), {
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
