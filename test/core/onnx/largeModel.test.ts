import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { writeModel } from '../../../src/core/onnx/writeModel';
import { GraphProtoSchema, ModelProtoSchema, NodeProtoSchema, TensorProtoSchema, ValueInfoProtoSchema } from '../../../src/core/onnx/proto';
import { DataType } from '../../../src/core/onnx/dataType';
import { tempDir } from '../../helpers/paths';

/** Tag + length prefix of a length-delimited protobuf field. */
function prefix(field: number, length: number): Buffer {
  const out: number[] = [];
  for (let v = field * 8 + 2, first = true; first || v > 0; first = false) {
    out.push((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v = Math.floor(v / 128);
  }
  for (let v = length, first = true; first || v > 0; first = false) {
    out.push((v % 128) | (v > 0x7f ? 0x80 : 0));
    v = Math.floor(v / 128);
  }
  return Buffer.from(out);
}

/**
 * Writes a valid single-file ONNX model of more than 2 GiB: one float initializer whose raw_data is the file's
 * tail, left sparse (zeros) so the test costs no real disk writes for the input.
 */
function writeSparseBigModel(file: string, elements: number): void {
  const output = create(ValueInfoProtoSchema, { name: 'total' });
  const node = create(NodeProtoSchema, { opType: 'ReduceSum', input: ['big'], output: ['total'], name: 'sum' });
  const graphHead = toBinary(GraphProtoSchema, create(GraphProtoSchema, { name: 'big', node: [node], output: [output] }));
  const tensorHead = toBinary(TensorProtoSchema, create(TensorProtoSchema, { name: 'big', dims: [BigInt(elements)], dataType: DataType.FLOAT }));
  const rawLength = elements * 4;
  const rawPrefix = prefix(9, rawLength);
  const tensorLength = tensorHead.length + rawPrefix.length + rawLength;
  const tensorPrefix = prefix(5, tensorLength);
  const graphLength = graphHead.length + tensorPrefix.length + tensorLength;
  const modelHead = toBinary(ModelProtoSchema, create(ModelProtoSchema, { irVersion: 8n, opsetImport: [{ domain: '', version: 17n }] }));
  const head = Buffer.concat([modelHead, prefix(7, graphLength), graphHead, tensorPrefix, tensorHead, rawPrefix]);
  fs.writeFileSync(file, head);
  fs.truncateSync(file, head.length + rawLength);
}

describe('models over 2 GiB', function () {
  this.timeout(300_000);
  it('are read from one file and written back with external data automatically', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const elements = Math.floor((2.2 * 2 ** 30) / 4); // 2.2 GiB of float32
      const file = path.join(dir, 'big.onnx');
      writeSparseBigModel(file, elements);
      assert.ok(fs.statSync(file).size > 2 ** 31, 'fs.readFileSync would refuse this file');
      const model = OnnxModel.load(file);
      assert.equal(model.tensorByteLength(model.graph.initializer[0]), elements * 4);
      const out = path.join(dir, 'out', 'model.onnx');
      fs.mkdirSync(path.dirname(out));
      const result = writeModel(model, out);
      assert.ok(result.externalDataFile, 'above 1.5 GiB the writer switches to external data');
      assert.ok(result.bytes < 1024, 'the graph file holds no weights');
      assert.equal(fs.statSync(result.externalDataFile).size, elements * 4);
      const session = await ort.InferenceSession.create(out, { logSeverityLevel: 3 });
      const { total } = await session.run({});
      assert.equal((total.data as Float32Array)[0], 0);
      await session.release();
    } finally {
      cleanup();
    }
  });
});
