import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { create } from '@bufbuild/protobuf';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { Graph } from '../../../src/core/graph/graph';
import { writeModel } from '../../../src/core/onnx/writeModel';
import { NodeProtoSchema } from '../../../src/core/onnx/proto';
import { SubcloneError } from '../../../src/core/errors';
import { exampleModel, tempDir } from '../../helpers/paths';
import { bitIdentical, int64Tensor, runModel } from '../../helpers/ort';

const feeds = () => ({ input_ids: int64Tensor([71, 111, 100, 32, 115, 97, 105, 100], [2, 4]) });

describe('Graph helpers', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('indexes producers and consumers', () => {
    const g = new Graph(OnnxModel.load(exampleModel));
    for (const node of g.nodes) {
      for (const out of node.output) assert.equal(g.producer(out), node);
      node.input.forEach((input, index) => {
        if (input) assert.ok(g.consumers(input).some((u) => u.node === node && u.index === index));
      });
    }
    const wte = g.initializer('transformer.wte.weight');
    assert.ok(wte);
    assert.equal(g.consumers('transformer.wte.weight')[0].node.opType, 'Gather');
    assert.deepEqual(g.realInputs.map((v) => v.name), ['input_ids']);
  });

  it('reads constants from initializers and Constant nodes', () => {
    const g = new Graph(OnnxModel.load(exampleModel));
    // The attention scale of GPT-2 is a Constant node; Split sizes are int64 Constant nodes [192, 192, 192].
    const split = g.nodes.find((n) => n.opType === 'Split')!;
    assert.deepEqual(g.constantNumbers(split.input[1]), [192, 192, 192]);
    assert.equal(g.producer(split.input[1])!.opType, 'Constant');
    assert.equal(g.constantFloats('transformer.wte.weight')!.length, 256 * 192);
    assert.equal(g.constantTensor('input_ids'), undefined);
  });

  it('restores a valid order after shuffling, and the model still runs identically', async () => {
    const model = OnnxModel.load(exampleModel);
    const g = new Graph(model);
    const expected = await runModel(exampleModel, feeds());
    // A deterministic shuffle.
    const nodes = g.proto.node;
    for (let i = nodes.length - 1; i > 0; i--) {
      const j = (i * 7919 + 13) % (i + 1);
      [nodes[i], nodes[j]] = [nodes[j], nodes[i]];
    }
    g.invalidate();
    assert.throws(() => g.validate(), SubcloneError);
    g.toposort();
    g.validate();
    const out = path.join(dir, 'sorted.onnx');
    writeModel(model, out);
    assert.ok(bitIdentical(expected.logits, (await runModel(out, feeds())).logits));
  });

  it('removes dead nodes and initializers, keeping the live graph intact', async () => {
    const model = OnnxModel.load(exampleModel);
    const g = new Graph(model);
    const nodesBefore = g.nodes.length;
    const initsBefore = g.proto.initializer.length;
    // A dead branch reading a weight only it uses.
    g.addInitializer({ ...g.initializer('transformer.wte.weight')!, name: 'dead_weight' });
    g.proto.node.push(create(NodeProtoSchema, { opType: 'Relu', input: ['dead_weight'], output: ['dead_1'], name: 'dead_relu' }));
    g.proto.node.push(create(NodeProtoSchema, { opType: 'Neg', input: ['dead_1'], output: ['dead_2'], name: 'dead_neg' }));
    g.invalidate();
    assert.equal(g.removeDeadNodes(), 2);
    assert.equal(g.nodes.length, nodesBefore);
    assert.equal(g.removeDeadInitializers(), 1);
    assert.equal(g.proto.initializer.length, initsBefore);
    g.validate();
    const out = path.join(dir, 'clean.onnx');
    writeModel(model, out);
    assert.ok(bitIdentical((await runModel(exampleModel, feeds())).logits, (await runModel(out, feeds())).logits));
  });

  it('clones a constant shared by several nodes before it is edited', () => {
    const model = OnnxModel.load(exampleModel);
    const g = new Graph(model);
    // Reshape target constants are shared across layers in PyTorch exports.
    const shared = g.proto.initializer.find((t) => g.consumers(t.name).length > 1)
      ?? g.nodes.filter((n) => n.opType === 'Constant').map((n) => n.output[0]).find((v) => g.consumers(v).length > 1);
    const name = typeof shared === 'string' ? shared : shared!.name;
    const users = g.consumers(name).map((u) => ({ ...u }));
    const first = users[0];
    const priv = g.privateConstant(first.node, first.index);
    assert.notEqual(priv.name, name);
    assert.equal(first.node.input[first.index], priv.name);
    assert.equal(g.consumers(priv.name).length, 1);
    assert.equal(g.consumers(name).length, users.length - 1);
    assert.deepEqual(Array.from(model.tensorBytes(priv)), Array.from(model.tensorBytes(g.constantTensor(name)!)));
    // Private already: a second call returns the same tensor.
    assert.equal(g.privateConstant(first.node, first.index), priv);
  });
});

