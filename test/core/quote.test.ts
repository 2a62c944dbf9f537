import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { SubcloneError } from '../../src/core/errors';
import { ModelProtoSchema } from '../../src/core/onnx/proto';
import { OnnxModel } from '../../src/core/onnx/onnxModel';
import { quote } from '../../src/core/quote';
import { inspectModel } from '../../src/core/recognize/inspectModel';
import { fixturePath, tempDir } from '../helpers/paths';

describe('names quoted in messages', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => ({ dir, cleanup } = tempDir()));
  after(() => cleanup());

  it('quotes a name and escapes what would break the line or reorder it', () => {
    assert.equal(quote('h.0.attn/MatMul'), '"h.0.attn/MatMul"');
    assert.equal(quote('a\nb\r\tc"d\\'), '"a\\nb\\r\\tc\\"d\\\\"');
    assert.equal(quote('x\u0000\u007f\u0085\u2028\u2029\u202e\u2066y'), '"x\\u0000\\u007f\\u0085\\u2028\\u2029\\u202e\\u2066y"');
    assert.equal(quote('résumé 日本'), '"résumé 日本"');
  });

  it('a node whose name holds a newline gives a one-line message', async () => {
    const proto = fromBinary(ModelProtoSchema, fs.readFileSync(fixturePath('gpt2-op17')));
    const node = proto.graph!.node.find((n) => n.opType === 'MatMul')!;
    node.name = 'evil\nnode';
    node.input[0] = 'nowhere\r\ndefined';
    const file = path.join(dir, 'newline.onnx');
    fs.writeFileSync(file, toBinary(ModelProtoSchema, proto));
    await assert.rejects(inspectModel(file), (e: unknown) => {
      assert.ok(e instanceof SubcloneError);
      assert.equal(e.message, `${file}: "evil\\nnode" (MatMul) reads "nowhere\\r\\ndefined", which nothing before it defines`);
      return true;
    });
  });

  it('a tensor whose name holds a newline gives a one-line message', () => {
    const proto = fromBinary(ModelProtoSchema, fs.readFileSync(fixturePath('gpt2-op17')));
    const t = proto.graph!.initializer.find((x) => x.rawData.length > 100)!;
    t.name = 'w\n1';
    t.rawData = t.rawData.subarray(1);
    const file = path.join(dir, 'tensor.onnx');
    fs.writeFileSync(file, toBinary(ModelProtoSchema, proto));
    assert.throws(() => OnnxModel.load(file), (e: unknown) => e instanceof SubcloneError && e.message.startsWith(`${file}: initializer "w\\n1" (`) && !/[\r\n]/.test(e.message));
  });
});
