import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../helpers/cli';
import { copyExampleFiles, fixturesDir, tempDir } from '../helpers/paths';

/**
 * The example parent as a Hugging Face folder: an identity-shape subclone written with --format hf (config.json,
 * model.safetensors, the tokenizer), as a user's GPT-2 checkpoint folder would be.
 */
async function exampleAsHf(dir: string): Promise<string> {
  const onnx = path.join(dir, 'onnx');
  copyExampleFiles(onnx);
  const hf = path.join(dir, 'kjv-hf');
  const r = await runCli(['apply', path.join(onnx, 'model.onnx'), '--layers', '6', '--dim', '192', '--heads', '6', '--ffn', '768', '--format', 'hf', '--out', hf]);
  assert.equal(r.code, 0, r.stderr);
  fs.rmSync(path.join(hf, 'subclone.json'));
  fs.copyFileSync(path.join(onnx, 'kjv.txt'), path.join(dir, 'kjv.txt'));
  return hf;
}

describe('Hugging Face checkpoint folders as parents (CLI)', function () {
  this.timeout(600_000);
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('inspect names the class built and recognises the family', async () => {
    const r = await runCli(['inspect', path.join(fixturesDir, 'hf', 'qwen2-sharded')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Hugging Face checkpoint: Qwen2ForCausalLM built by Subclone from qwen2-sharded\/config\.json and model\.safetensors\.index\.json/);
    assert.match(r.stdout, /LLaMA-style decoder/);
    const json = await runCli(['inspect', path.join(fixturesDir, 'hf', 'bert-mlm', 'model.safetensors'), '--json']);
    assert.equal(json.code, 0, json.stderr);
    const map = JSON.parse(json.stdout) as { family: string; dims: { layers: number }; model: { format: string } };
    assert.equal(map.family, 'bert');
    assert.equal(map.model.format, 'safetensors');
  });

  it('apply on the folder writes <folder>/model-subclone-<shape>/ in both formats, with the losses the ONNX parent gives', async () => {
    const hf = await exampleAsHf(dir);
    const args = ['--layers', '3', '--dim', '96', '--heads', '3', '--ffn', '384', '--data', path.join(dir, 'kjv.txt'), '--blocks', 'first', '--json'];
    const fromHf = await runCli(['apply', hf, ...args]);
    assert.equal(fromHf.code, 0, fromHf.stderr);
    const out = path.join(hf, 'model-subclone-3L-96d-3h-384f');
    assert.deepEqual(fs.readdirSync(out).sort(), ['config.json', 'model.onnx', 'model.safetensors', 'subclone.json', 'tokenizer.json', 'tokenizer_config.json']);
    const p = JSON.parse(fs.readFileSync(path.join(out, 'subclone.json'), 'utf8'));
    assert.equal(p.parent.file, path.join(hf, 'model.safetensors'));
    assert.equal(p.parent.sha256.length, 64);
    const fromOnnx = await runCli(['apply', path.join(dir, 'onnx', 'model.onnx'), ...args]);
    assert.equal(fromOnnx.code, 0, fromOnnx.stderr);
    const q = JSON.parse(fs.readFileSync(path.join(dir, 'onnx', 'model-subclone-3L-96d-3h-384f', 'subclone.json'), 'utf8'));
    assert.deepEqual(p.kept, q.kept);
    for (const k of ['parent', 'child', 'randomInit']) assert.ok(Math.abs(p.verification[k] - q.verification[k]) < 1e-4, `${k}: ${p.verification[k]} vs ${q.verification[k]}`);
  });

  it('importance on the folder writes <folder>/model.importance.json naming model.safetensors', async () => {
    const hf = path.join(dir, 'llama');
    fs.cpSync(path.join(fixturesDir, 'hf', 'llama'), hf, { recursive: true });
    const r = await runCli(['importance', hf, '--data-free']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(fs.readFileSync(path.join(hf, 'model.importance.json'), 'utf8'));
    assert.equal(report.model.file, path.join(hf, 'model.safetensors'));
  });

  it('exit codes: 2 for a model_type Subclone cannot build, 3 for a config.json that is not JSON', async () => {
    const hf = path.join(dir, 'gpt2');
    fs.cpSync(path.join(fixturesDir, 'hf', 'gpt2-hub'), hf, { recursive: true });
    const config = JSON.parse(fs.readFileSync(path.join(hf, 'config.json'), 'utf8'));
    fs.writeFileSync(path.join(hf, 'config.json'), JSON.stringify({ ...config, model_type: 't5' }));
    const unsupported = await runCli(['apply', hf, '--layers', '1']);
    assert.equal(unsupported.code, 2, unsupported.stderr);
    assert.match(unsupported.stderr, /not supported yet: model_type "t5"/);
    fs.writeFileSync(path.join(hf, 'config.json'), '{"model_type": ');
    const bad = await runCli(['inspect', hf]);
    assert.equal(bad.code, 3, bad.stderr);
    assert.match(bad.stderr, /config\.json is not valid JSON/);
  });

  it('train and converge take the folder too', async () => {
    const hf = await exampleAsHf(dir);
    const curve = path.join(dir, 'curve.csv');
    const r = await runCli(['train', hf, '--data', path.join(dir, 'kjv.txt'), '--steps', '2', '--batch', '2', '--seq', '32', '--out', curve]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readFileSync(curve, 'utf8').trim().split('\n').length, 3);
    const c = await runCli(['converge', hf, '--data', path.join(dir, 'kjv.txt'), '--steps', '2', '--lrs', '0.001', '--random-lrs', '0.003', '--batch', '2', '--seq', '32', '--json']);
    assert.equal(c.code, 0, c.stderr);
    assert.ok(fs.existsSync(path.join(hf, 'convergence', 'convergence.json')));
  });
});
