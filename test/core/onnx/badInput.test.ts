import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { SubcloneError } from '../../../src/core/errors';
import { exampleModel, tempDir } from '../../helpers/paths';

function loadError(bytes: Uint8Array, dir: string, name = 'bad.onnx'): SubcloneError {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  try {
    OnnxModel.load(file);
  } catch (e) {
    assert.ok(e instanceof SubcloneError, `expected SubcloneError, got ${String(e)}`);
    assert.ok(e.message.includes(file), `message names the file: ${e.message}`);
    return e;
  }
  assert.fail(`${name} was accepted`);
}

describe('bad model files are rejected with a message naming the problem', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => ({ dir, cleanup } = tempDir()));
  after(() => cleanup());
  const original = fs.readFileSync(exampleModel);

  it('a model truncated anywhere', () => {
    // Cut inside the header, inside the graph's node list, inside a weight, and one byte short.
    for (const cut of [1, 7, 5000, 200_000, original.length >> 1, original.length - 1]) {
      const e = loadError(original.subarray(0, cut), dir);
      assert.equal(e.code, 'BadModel');
      assert.match(e.message, /truncated|cut off|corrupt/, `cut at ${cut}: ${e.message}`);
    }
  });

  it('a middle part overwritten with random bytes', () => {
    const copy = Buffer.from(original);
    for (let i = 300; i < 2300; i++) copy[i] = (i * 7919) & 0xff;
    const e = loadError(copy, dir);
    assert.equal(e.code, 'BadModel');
  });

  it('random bytes', () => {
    const bytes = new Uint8Array(100_000);
    let x = 12345;
    for (let i = 0; i < bytes.length; i++) bytes[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    const e = loadError(bytes, dir);
    assert.equal(e.code, 'BadModel');
    assert.match(e.message, /not an ONNX model/);
  });

  it('an empty file', () => {
    assert.match(loadError(new Uint8Array(0), dir).message, /is empty/);
  });

  const foreign: [string, Uint8Array, RegExp][] = [
    ['a text file', Buffer.from('{"model_type": "gpt2", "n_embd": 192}\n'), /is a text file, not an ONNX model/],
    ['a PyTorch zip checkpoint', Buffer.from('PK\x03\x04\x00\x00\x08\x00\x00\x00archive/data.pkl', 'latin1'), /zip archive.*PyTorch/],
    ['a pickle', Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x28]), /Python pickle/],
    ['a safetensors file', Buffer.concat([Buffer.from([0x20, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{"w":{"dtype":"F32","shape":[1]}}')]), /safetensors/],
    ['a GGUF file', Buffer.from('GGUF\x03\x00\x00\x00\x00\x00\x00\x00', 'latin1'), /GGUF/],
  ];
  for (const [what, bytes, pattern] of foreign) {
    it(what, () => {
      const e = loadError(bytes, dir);
      assert.equal(e.code, 'BadModel');
      assert.match(e.message, pattern);
    });
  }

  it('a path that does not exist', () => {
    assert.throws(() => OnnxModel.load(path.join(dir, 'nope.onnx')), (e: unknown) => e instanceof SubcloneError && /cannot open .*nope\.onnx/.test(e.message));
  });

  it('a raw_data length that disagrees with the dims', () => {
    const model = OnnxModel.load(exampleModel);
    const t = model.graph.initializer.find((x) => x.rawData.length > 1000)!;
    t.rawData = t.rawData.subarray(0, 100);
    assert.throws(() => model.checkTensors(), (e: unknown) => e instanceof SubcloneError && e.message.includes(`initializer ${JSON.stringify(t.name)} `) && /should hold \d+ bytes but its data has 100$/.test(e.message));
  });
});
