import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { fromBinary } from '@bufbuild/protobuf';
import { SubcloneError } from '../../../src/core/errors';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { ModelProtoSchema } from '../../../src/core/onnx/proto';
import { checkWireFormat } from '../../../src/core/onnx/wireCheck';
import { fixtureIds, fixturePath, tempDir } from '../../helpers/paths';
import { delimited, stringField, tag, tinyModel, varint, varintField, type Bytes } from '../../helpers/protoWire';

function wireError(bytes: Uint8Array, file = 'm.onnx'): SubcloneError {
  try {
    checkWireFormat(bytes, file);
  } catch (e) {
    assert.ok(e instanceof SubcloneError, `expected SubcloneError, got ${String(e)}`);
    assert.equal(e.code, 'BadModel');
    assert.ok(e.message.startsWith(`${file} is corrupt: `), e.message);
    return e;
  }
  assert.fail('accepted');
}

async function ortRejects(file: string): Promise<string> {
  try {
    await ort.InferenceSession.create(file, { logSeverityLevel: 4 });
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail(`onnxruntime loaded ${file}`);
}

/**
 * The ViT case of issue 12: two bytes duplicated inside the last initializer's raw_data push its last two bytes
 * out of the tensor into the graph. There they read as a small unknown varint field when the last weight is
 * positive (bytes 18 3e), so the graph's fields stay aligned and only its last one, graph.output[0], runs two bytes
 * past the graph's end. onnx and onnxruntime reject that; @bufbuild/protobuf reads on into the parent.
 */
function vitWithDuplicatedBytes(): { intact: Buffer; broken: Buffer } {
  const intact = Buffer.from(fs.readFileSync(fixturePath('vit-op14')));
  const raw = fromBinary(ModelProtoSchema, intact).graph!.initializer.at(-1)!.rawData;
  const start = raw.byteOffset - intact.byteOffset;
  intact[start + raw.length - 1] &= 0x7f;
  const at = start + (raw.length >> 1);
  const broken = Buffer.concat([intact.subarray(0, at + 2), intact.subarray(at, at + 2), intact.subarray(at + 2)]);
  return { intact, broken };
}

describe('the protobuf wire check', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => ({ dir, cleanup } = tempDir()));
  after(() => cleanup());

  it('passes every fixture model', () => {
    for (const id of fixtureIds()) checkWireFormat(fs.readFileSync(fixturePath(id)), id);
  });

  it('rejects the ViT export with two bytes duplicated in its last weight, as onnx and onnxruntime do', async () => {
    const { intact, broken } = vitWithDuplicatedBytes();
    const good = path.join(dir, 'vit-intact.onnx');
    const bad = path.join(dir, 'vit-dup.onnx');
    fs.writeFileSync(good, intact);
    fs.writeFileSync(bad, broken);
    await (await ort.InferenceSession.create(good, { logSeverityLevel: 3 })).release();
    OnnxModel.load(good).close();
    assert.match(await ortRejects(bad), /Protobuf parsing failed/);
    // The decoder alone reads it: the check is what stops it.
    assert.equal(fromBinary(ModelProtoSchema, broken).graph!.output.length, 1);
    assert.throws(
      () => OnnxModel.load(bad),
      (e: unknown) =>
        e instanceof SubcloneError &&
        e.code === 'BadModel' &&
        e.message.startsWith(`${bad} is corrupt: graph.output[0] runs 2 bytes past the end of graph (at byte `) &&
        e.message.endsWith('); onnx and onnxruntime reject this file too'),
    );
  });

  it('accepts the hand-built model the cases below break', async () => {
    const file = path.join(dir, 'tiny.onnx');
    fs.writeFileSync(file, tinyModel());
    await (await ort.InferenceSession.create(file, { logSeverityLevel: 3 })).release();
    assert.equal(OnnxModel.load(file).graph.node[0].opType, 'Relu');
  });

  const tensor = (fields: Bytes) => delimited(5, [...varintField(2, 1), ...stringField(8, 'w'), ...fields]);
  const cases: [string, Uint8Array, RegExp, boolean][] = [
    ['an invalid wire type', tinyModel([...tag(20, 7), 1]), /field 20 of graph\.node\[0\] has the invalid wire type 7 \(at byte 24\)/, true],
    ['field number 0', tinyModel([...tag(0, 0), 1]), /graph\.node\[0\] holds a field numbered 0 \(tag 0\)/, true],
    ['a tag longer than 32 bits', tinyModel([...varint(2 ** 33 + 8 * 20), 1]), /graph\.node\[0\] holds a field tag longer than 32 bits/, false],
    ['an 11-byte varint', tinyModel([...tag(20, 0), ...Array<number>(10).fill(0x80), 1]), /field 20 of graph\.node\[0\] is a malformed varint/, true],
    ['a tag cut by the end of its message', tinyModel([0x80]), /a field tag runs past the end of graph\.node\[0\]/, true],
    ['packed floats that are not a whole number of floats', tinyModel([], tensor([...varintField(1, 1), ...delimited(4, [0, 0, 0x80, 0x3f, 0])])), /graph\.initializer\[0\]\.float_data holds 5 bytes of packed 4-byte values/, true],
    ['a packed varint cut by the end of its record', tinyModel([], tensor([...varintField(1, 2), ...delimited(7, [1, 0x82])])), /the last packed value of graph\.initializer\[0\]\.int64_data runs past its end/, true],
    ['a string field written as a varint', tinyModel(varintField(3, 5)), /graph\.node\[0\]\.name is a varint where ONNX's schema has a length-delimited record/, false],
    ['a group', tinyModel([...tag(20, 3), ...varintField(1, 5), ...tag(20, 4)]), /field 20 of graph\.node\[0\] is a protobuf group, which ONNX never uses/, false],
  ];
  for (const [what, bytes, pattern, onnxRejectsToo] of cases) {
    it(`rejects ${what}`, () => {
      const e = wireError(bytes);
      assert.match(e.message, pattern);
      assert.equal(e.message.endsWith('onnx and onnxruntime reject this file too'), onnxRejectsToo, e.message);
    });
  }

  it('names the repeated field a nested record overruns, with its index', () => {
    // The second node claims 40 bytes more than the graph holds.
    const node = [...stringField(1, 'y'), ...stringField(2, 'z'), ...stringField(4, 'Relu')];
    const overrun = [...tag(1, 2), ...varint(node.length + 40), ...node];
    const model = tinyModel([], overrun);
    assert.match(wireError(model).message, /graph\.node\[1\] runs [\d,]+ bytes past the end of graph \(at byte \d+\)/);
  });

  it('accepts repeated numbers packed or not', () => {
    checkWireFormat(tinyModel([], tensor([...varintField(1, 2), ...varintField(1, 1), ...delimited(7, [5, 6])])), 'm');
    checkWireFormat(tinyModel([], tensor(delimited(1, [2, 1]))), 'm');
  });

  it('stops at protobuf\'s nesting limit of 100 messages', () => {
    // node → attribute → graph → node → … : three messages per level.
    let node: Bytes = stringField(4, 'Relu');
    for (let level = 0; level < 40; level++) {
      const attribute = [...stringField(1, 'body'), ...delimited(6, delimited(1, node))];
      node = [...stringField(4, 'If'), ...delimited(5, attribute)];
    }
    assert.match(wireError(tinyModel(delimited(5, [...stringField(1, 'deep'), ...delimited(6, delimited(1, node))]))).message, /nests messages more than 100 deep/);
  });

  it('skips payloads by length: 256 MiB of weights in well under a second', () => {
    const tensors = 128;
    const rawLength = 2 * 1024 * 1024;
    const header = (i: number) => [...varintField(1, rawLength / 4), ...varintField(2, 1), ...stringField(8, `w${i}`), ...tag(9, 2), ...varint(rawLength)];
    const records = Array.from({ length: tensors }, (_, i) => [...tag(5, 2), ...varint(header(i).length + rawLength), ...header(i)]);
    const graphLength = records.reduce((n, r) => n + r.length + rawLength, 0);
    const prefix = [...varintField(1, 8), ...tag(7, 2), ...varint(graphLength)];
    const bytes = Buffer.alloc(prefix.length + graphLength);
    bytes.set(prefix);
    let pos = prefix.length;
    for (const r of records) {
      bytes.set(r, pos);
      pos += r.length + rawLength;
    }
    const t0 = performance.now();
    checkWireFormat(bytes, 'big.onnx');
    const ms = performance.now() - t0;
    assert.ok(ms < 500, `${ms.toFixed(0)} ms`);
    // One byte short: the last weight runs past the graph, and the graph past the file.
    assert.match(wireError(bytes.subarray(0, bytes.length - 1), 'big.onnx').message, /graph runs 1 byte past the end of the file/);
  });
});
