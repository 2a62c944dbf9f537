import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../helpers/cli';
import { exampleModel, fixturePath, tempDir } from '../helpers/paths';

describe('subclone inspect', () => {
  it('--json has family and dims with exactly the documented keys', async () => {
    const r = await runCli(['inspect', fixturePath('llama-op17'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.family, 'llama');
    assert.deepEqual(Object.keys(json.dims).sort(), ['context', 'dModel', 'ffn', 'headDim', 'heads', 'kvHeads', 'layers', 'vocab'].sort());
    assert.deepEqual(json.dims, { layers: 3, dModel: 48, heads: 6, kvHeads: 2, headDim: 8, ffn: 80, vocab: 96, context: null });
    assert.ok(Array.isArray(json.groups) && json.groups.some((g: { id: string }) => g.id === 'KV0'));
  });

  it('prints a readable summary of the example', async () => {
    const r = await runCli(['inspect', exampleModel]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /GPT-2-style decoder/);
    assert.match(r.stdout, /layers 6 · d_model 192 · heads 6 \(KV 6\) · head_dim 32 · ffn 768 · vocab 256 · context 128/);
    assert.match(r.stdout, /parameters 2\.74M/);
    assert.match(r.stdout, /LM head \(tied to the token embedding\)/);
  });

  it('a model that is not a transformer exits 2 saying what was found', async () => {
    for (const id of ['cnn-op17', 'mlp-op17']) {
      const r = await runCli(['inspect', fixturePath(id)]);
      assert.equal(r.code, 2, `${id}: ${r.stderr}`);
      assert.match(r.stderr, /not a transformer/);
    }
  });

  it('an ORT-fused graph exits 2 naming the fused op and what to do', async () => {
    const { dir, cleanup } = tempDir();
    try {
      // Rename one node to com.microsoft Attention: what an ORT-optimised export contains.
      const { OnnxModel } = await import('../../src/core/onnx/onnxModel');
      const { writeModel } = await import('../../src/core/onnx/writeModel');
      const model = OnnxModel.load(exampleModel);
      const softmax = model.graph.node.find((n) => n.opType === 'Softmax')!;
      softmax.opType = 'Attention';
      softmax.domain = 'com.microsoft';
      model.proto.opsetImport.push({ $typeName: 'onnx.OperatorSetIdProto', domain: 'com.microsoft', version: 1n });
      const file = path.join(dir, 'fused.onnx');
      writeModel(model, file);
      const r = await runCli(['inspect', file]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /com\.microsoft Attention \(an ORT-fused graph\) ×1 is not supported yet; export without ORT optimisation/);
    } finally {
      cleanup();
    }
  });

  it('a truncated model exits 3', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'cut.onnx');
      fs.writeFileSync(file, fs.readFileSync(fixturePath('gpt2-op14')).subarray(0, 20000));
      const r = await runCli(['inspect', file]);
      assert.equal(r.code, 3);
      assert.match(r.stderr, /is truncated/);
    } finally {
      cleanup();
    }
  });
});
