import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { writeModel } from '../../../src/core/onnx/writeModel';
import { isExternal } from '../../../src/core/onnx/externalData';
import { SubcloneError } from '../../../src/core/errors';
import { toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from '../../../src/core/onnx/proto';
import { exampleModel, tempDir } from '../../helpers/paths';
import { bitIdentical, int64Tensor, runModel } from '../../helpers/ort';

const feeds = () => ({ input_ids: int64Tensor([84, 104, 101, 32, 76, 79, 82, 68], [1, 8]) });

function rejects(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SubcloneError, `expected SubcloneError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('external data', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('writes weights to a data file on request; onnxruntime and our reader see the same model', async () => {
    const model = OnnxModel.load(exampleModel);
    const out = path.join(dir, 'model.onnx');
    const result = writeModel(model, out, { externalData: true });
    assert.equal(result.externalDataFile, path.join(dir, 'model.onnx.data'));
    assert.ok(fs.statSync(out).size < 300_000, 'graph file holds no big weights');
    const reread = OnnxModel.load(out);
    assert.ok(reread.hasExternalData);
    const big = reread.graph.initializer.filter(isExternal);
    assert.ok(big.length > 20);
    for (const t of reread.graph.initializer) {
      const original = model.graph.initializer.find((x) => x.name === t.name)!;
      assert.ok(Buffer.from(reread.tensorBytes(t)).equals(Buffer.from(model.tensorBytes(original))), t.name);
    }
    const a = await runModel(exampleModel, feeds());
    const b = await runModel(out, feeds());
    assert.ok(bitIdentical(a.logits, b.logits));
    // Back to one file: external data is read by range and streamed into the new file.
    const single = path.join(dir, 'single.onnx');
    writeModel(reread, single, { externalData: false });
    assert.ok(!OnnxModel.load(single).hasExternalData);
    assert.ok(bitIdentical(a.logits, (await runModel(single, feeds())).logits));
    reread.close();
  });

  it('switches to external data automatically above the threshold', () => {
    const model = OnnxModel.load(exampleModel);
    const small = writeModel(model, path.join(dir, 'a.onnx'), { externalThreshold: 20 * 1024 * 1024 });
    assert.equal(small.externalDataFile, undefined);
    const big = writeModel(model, path.join(dir, 'b.onnx'), { externalThreshold: 1024 * 1024 });
    assert.ok(big.externalDataFile && fs.existsSync(big.externalDataFile));
  });

  it('names a missing or short data file and the tensor that needs it', () => {
    const model = OnnxModel.load(exampleModel);
    const out = path.join(dir, 'model.onnx');
    writeModel(model, out, { externalData: true });
    const data = path.join(dir, 'model.onnx.data');
    const bytes = fs.readFileSync(data);
    fs.writeFileSync(data, bytes.subarray(0, bytes.length >> 1));
    rejects(() => OnnxModel.load(out), 'MissingData', /"model\.onnx\.data" is \d+ bytes, but initializer .* needs bytes/);
    fs.rmSync(data);
    rejects(() => OnnxModel.load(out), 'MissingData', /external data file "model\.onnx\.data" for initializer .* cannot be read/);
  });

  it('rejects data paths that leave the model folder', () => {
    const model = OnnxModel.load(exampleModel);
    const out = path.join(dir, 'model.onnx');
    writeModel(model, out, { externalData: true });
    const cases: [string, RegExp][] = [
      ['../escape.data', /"\.\.\/escape\.data" escapes the model's folder/],
      ['/etc/passwd', /"\/etc\/passwd" is absolute/],
      ['sub/../../x.data', /escapes the model's folder/],
    ];
    for (const [location, pattern] of cases) {
      const edited = OnnxModel.load(out);
      const t = edited.graph.initializer.find(isExternal)!;
      t.externalData.find((e) => e.key === 'location')!.value = location;
      const file = path.join(dir, 'edited.onnx');
      fs.writeFileSync(file, toBinary(ModelProtoSchema, edited.proto));
      rejects(() => OnnxModel.load(file), 'BadModel', pattern);
    }
  });

  it('never leaves a half-written file: a cancelled write removes its temporaries', () => {
    const model = OnnxModel.load(exampleModel);
    const controller = new AbortController();
    const out = path.join(dir, 'model.onnx');
    assert.throws(
      () =>
        writeModel(model, out, {
          externalData: true,
          signal: controller.signal,
          onProgress: (done) => done > 1_000_000 && controller.abort(),
        }),
      (e: unknown) => e instanceof SubcloneError && e.code === 'Cancelled',
    );
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('refuses to overwrite unless asked', () => {
    const model = OnnxModel.load(exampleModel);
    const out = path.join(dir, 'model.onnx');
    writeModel(model, out);
    rejects(() => writeModel(model, out), 'Exists', /already exists/);
    writeModel(model, out, { overwrite: true });
  });
});
