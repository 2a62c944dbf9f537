import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import { isExternal } from '../../../src/core/onnx/externalData';
import { IN_FILE_MIN_BYTES } from '../../../src/core/onnx/modelFile';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { GraphProtoSchema, ModelProtoSchema } from '../../../src/core/onnx/proto';
import { exampleModel, fixtureIds, fixturePath, tempDir } from '../../helpers/paths';

/** Every model the repository ships: the example and each fixture (one of them with external data). */
const models = [exampleModel, ...fixtureIds().map((id) => fixturePath(id))];

/**
 * A model read from a file keeps its large weights in the file: the reader records byte ranges, and each weight
 * reads back exactly the bytes an eager decode of the whole file holds.
 */
describe('ONNX reader: weights stay in the file', () => {
  for (const file of models) {
    it(`${path.relative(path.dirname(path.dirname(file)), file)}: every tensor reads the bytes a whole-file decode holds`, () => {
      const lazy = OnnxModel.load(file);
      const eager = OnnxModel.fromBytes(fs.readFileSync(file), path.dirname(file));
      try {
        assert.equal(lazy.graph.initializer.length, eager.graph.initializer.length);
        eager.graph.initializer.forEach((want, i) => {
          const got = lazy.graph.initializer[i];
          assert.equal(got.name, want.name);
          assert.ok(Buffer.from(lazy.tensorBytes(got)).equals(Buffer.from(eager.tensorBytes(want))), `${want.name}: bytes differ`);
          assert.equal(lazy.tensorByteLength(got), eager.tensorByteLength(want));
          // Large raw_data is a range of the model file; small raw_data stays inline, decoded.
          if (!isExternal(want)) {
            assert.equal(isExternal(got), want.rawData.length >= IN_FILE_MIN_BYTES, `${want.name}: ${want.rawData.length} bytes`);
            if (!isExternal(got)) assert.equal(got.rawData.length, want.rawData.length);
          }
        });
        // Everything but the weights decodes to the same messages.
        assert.deepEqual(toBinary(ModelProtoSchema, { ...lazy.proto, graph: undefined }), toBinary(ModelProtoSchema, { ...eager.proto, graph: undefined }));
        assert.deepEqual(toBinary(GraphProtoSchema, { ...lazy.graph, initializer: [] }), toBinary(GraphProtoSchema, { ...eager.graph, initializer: [] }));
        // The model file's own ranges are not what users call external data.
        assert.equal(lazy.hasExternalData, eager.hasExternalData);
        assert.ok(Buffer.from(lazy.toBytes()).equals(Buffer.from(eager.toBytes())));
      } finally {
        lazy.close();
        eager.close();
      }
    });
  }

  it('holds the graph, not the weights: no large raw_data is decoded into memory', () => {
    const model = OnnxModel.load(exampleModel);
    try {
      const inline = model.graph.initializer.reduce((n, t) => n + t.rawData.length, 0);
      const total = model.graph.initializer.reduce((n, t) => n + model.tensorByteLength(t), 0);
      assert.ok(total > 1e6, `example weights ${total} bytes`);
      assert.ok(inline < total / 100, `${inline} of ${total} weight bytes decoded on load`);
    } finally {
      model.close();
    }
  });

  it('keeps reading the file it decoded when the path is replaced afterwards', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'model.onnx');
      fs.copyFileSync(exampleModel, file);
      const model = OnnxModel.load(file);
      const big = model.graph.initializer.find(isExternal)!;
      const before = Buffer.from(model.tensorBytes(big));
      // An editor or a later export writes a new file and renames it over the old one.
      const other = Buffer.from(fs.readFileSync(exampleModel));
      other.fill(0x7f, other.length / 2);
      fs.writeFileSync(path.join(dir, 'new.onnx'), other);
      fs.renameSync(path.join(dir, 'new.onnx'), file);
      try {
        assert.ok(Buffer.from(model.tensorBytes(big)).equals(before));
      } finally {
        model.close();
      }
    } finally {
      cleanup();
    }
  });
});
