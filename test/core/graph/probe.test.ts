import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { create, toBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { SubcloneError } from '../../../src/core/errors';
import { DEFAULT_PROBE, probeModel, syntheticFeeds } from '../../../src/core/graph/probe';
import { DataType } from '../../../src/core/onnx/dataType';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { ModelProtoSchema, ValueInfoProtoSchema, type ModelProto } from '../../../src/core/onnx/proto';
import { fixturePath } from '../../helpers/paths';

/** A one-node model on int64 input_ids [batch, seq]: `op` of the input with the given initializers as its other inputs. */
function oneNodeModel(op: string, extra: { name: string; values: number[] }[]): OnnxModel {
  const proto: ModelProto = create(ModelProtoSchema, {
    irVersion: 8n,
    opsetImport: [{ domain: '', version: 17n }],
    graph: {
      name: 'g',
      node: [{ opType: op, input: ['input_ids', ...extra.map((e) => e.name)], output: ['y'], name: 'n' }],
      initializer: extra.map((e) => ({ name: e.name, dataType: DataType.INT64, dims: [BigInt(e.values.length)], int64Data: e.values.map(BigInt) })),
      input: [{ name: 'input_ids', type: { value: { case: 'tensorType', value: { elemType: DataType.INT64, shape: { dim: [{ value: { case: 'dimParam', value: 'batch' } }, { value: { case: 'dimParam', value: 'sequence' } }] } } } } }],
      output: [{ name: 'y' }],
    },
  });
  return OnnxModel.fromProto(proto, '/tmp', '/tmp/one-node.onnx');
}

/** Process ids of this process's children now. */
function children(): number[] {
  const ids: number[] = [];
  for (const task of fs.readdirSync(`/proc/${process.pid}/task`)) {
    const text = fs.readFileSync(`/proc/${process.pid}/task/${task}/children`, 'utf8').trim();
    if (text) ids.push(...text.split(/\s+/).map(Number));
  }
  return ids;
}

async function newChild(before: number[]): Promise<number> {
  for (let i = 0; i < 500; i++) {
    const found = children().find((c) => !before.includes(c));
    if (found) return found;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('no probe process appeared');
}

describe('the recognition probe (run in a child process)', () => {
  it('gives every value the shape a run of the real model in this process gives it, and small values whole', async () => {
    const model = OnnxModel.load(fixturePath('gpt2-op17'));
    const probed = await probeModel(model);
    // The reference: the unstripped model, every node output exposed, on the same inputs, in this process.
    const full = create(ModelProtoSchema, model.proto);
    const values = [...new Set(model.graph.node.flatMap((n) => n.output).filter(Boolean))];
    full.graph!.output = values.map((name) => create(ValueInfoProtoSchema, { name }));
    for (const t of full.graph!.initializer) Object.assign(t, model.inlined(t));
    const session = await ort.InferenceSession.create(toBinary(ModelProtoSchema, full), { logSeverityLevel: 3 });
    const feeds = syntheticFeeds(model, DEFAULT_PROBE);
    const reference = await session.run(feeds);
    await session.release();
    let small = 0;
    for (const name of values) {
      const got = probed.get(name);
      assert.ok(got, `no probed value for ${name}`);
      assert.deepEqual(got.dims, [...reference[name].dims], name);
      assert.equal(got.type, reference[name].type, name);
      if (reference[name].size <= 64 && !reference[name].type.startsWith('float')) {
        assert.deepEqual(got.values, Array.from(reference[name].data as ArrayLike<number | bigint>, Number), name);
        small++;
      }
    }
    assert.ok(small > 20, `only ${small} small integer values compared`);
    assert.deepEqual(probed.get('input_ids')?.dims, [2, 7]);
  });

  it('says onnxruntime cannot run the model on the probe input, naming the input', async () => {
    const model = oneNodeModel('Reshape', [{ name: 'shape', values: [3, 5] }]);
    await assert.rejects(probeModel(model), (e: unknown) => {
      assert.ok(e instanceof SubcloneError && e.code === 'Unsupported');
      assert.match(e.message, /^onnxruntime cannot run \/tmp\/one-node\.onnx on a probe input \("input_ids" \[2, 7\]\): .*reshape/i);
      assert.doesNotMatch(e.message, /[\r\n]/);
      return true;
    });
  });

  it('says onnxruntime cannot load a model it rejects', async () => {
    const model = oneNodeModel('NoSuchOperator', []);
    await assert.rejects(probeModel(model), (e: unknown) => e instanceof SubcloneError && e.code === 'Unsupported' && /^onnxruntime cannot load \/tmp\/one-node\.onnx: .*NoSuchOperator/.test(e.message));
  });

  it('a probe process that dies (a crash inside onnxruntime) is an error naming the model, not the end of this process', async () => {
    const model = OnnxModel.load(fixturePath('gpt2-op17'));
    const before = children();
    const probing = probeModel(model);
    process.kill(await newChild(before), 'SIGKILL');
    await assert.rejects(probing, (e: unknown) => e instanceof SubcloneError && e.message === `onnxruntime stopped while probing ${fixturePath('gpt2-op17')} (signal SIGKILL)`);
  });

  it('cancelling ends the probe process', async () => {
    const model = OnnxModel.load(fixturePath('gpt2-op17'));
    const before = children();
    const controller = new AbortController();
    const probing = probeModel(model, DEFAULT_PROBE, controller.signal);
    const pid = await newChild(before);
    controller.abort();
    await assert.rejects(probing, (e: unknown) => e instanceof SubcloneError && e.code === 'Cancelled');
    for (let i = 0; i < 200 && children().includes(pid); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(!children().includes(pid), 'the probe process is still running');
  });
});
