import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../helpers/cli';
import { exampleDir, exampleModel, fixturePath, tempDir } from '../helpers/paths';

const kjv = path.join(exampleDir, 'kjv.txt');

describe('subclone importance', () => {
  let tmp: { dir: string; cleanup: () => void };
  let model: string;
  before(() => {
    tmp = tempDir();
    model = path.join(tmp.dir, 'model.onnx');
    fs.copyFileSync(exampleModel, model);
    fs.copyFileSync(path.join(exampleDir, 'tokenizer.json'), path.join(tmp.dir, 'tokenizer.json'));
  });
  after(() => tmp.cleanup());

  it('prints top neurons, layer agreement and block magnitudes, and writes the report beside the model', async () => {
    const r = await runCli(['importance', model, '--data', kjv, '--samples', '8', '--provider', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /calibration: 8 sequences × 128 tokens of kjv\.txt \(1024 tokens counted, tokenizer tokenizer\.json\) on cpu/);
    assert.match(r.stdout, /top embedding neurons \(of 192, global score\): \d+ \(0\.\d{3}\)/);
    assert.match(r.stdout, /Spearman ρ: adjacent blocks mean −?\d\.\d\d \(.*\), first vs last block −?\d\.\d\d/);
    assert.match(r.stdout, /top-96 overlap: adjacent blocks \d\.\d\d, first vs last block \d\.\d\d \(chance 0\.50\)/);
    assert.match(r.stdout, /block {2}‖f\(x\)‖\/‖x\+f\(x\)‖/);
    assert.equal(r.stdout.split('\n').filter((l) => /^ +\d +\d\.\d{3} +\d\.\d{4} +\d,\d,\d +\d+,/.test(l)).length, 6, 'one magnitude row per block');
    const reportFile = path.join(tmp.dir, 'model.importance.json');
    assert.match(r.stdout, new RegExp(`report: ${reportFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.ok(fs.existsSync(reportFile));
    assert.match(r.stderr, /calibration batch 1\/1: 1024 tokens/);
  });

  it('--json prints the report and where it was written; --out puts it elsewhere', async () => {
    const out = path.join(tmp.dir, 'r.json');
    const r = await runCli(['importance', model, '--data', kjv, '--samples', '2', '--provider', 'cpu', '--json', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as { reportFile: string; report: { version: number; embedding: { ranking: number[] }; calibration: { tokens: number } } };
    assert.equal(json.reportFile, out);
    assert.equal(json.report.version, 1);
    assert.equal(json.report.embedding.ranking.length, 192);
    assert.deepEqual(JSON.parse(fs.readFileSync(out, 'utf8')).embedding.ranking, json.report.embedding.ranking);
    const again = await runCli(['importance', model, '--data-free', '--out', out]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /r\.json already exists/);
  });

  it('--data-free and --random say they are fallbacks', async () => {
    const free = await runCli(['importance', model, '--data-free']);
    assert.equal(free.code, 0, free.stderr);
    assert.match(free.stdout, /data-free, from weight magnitudes — a FALLBACK/);
    const random = await runCli(['importance', model, '--random', '--samples', '2', '--provider', 'cpu']);
    assert.equal(random.code, 0, random.stderr);
    assert.match(random.stdout, /calibration: 2 RANDOM sequences × 128 tokens \(256 tokens counted\)/);
    assert.match(random.stdout, /random inputs are a FALLBACK/);
  });

  it('usage and data errors exit with their codes and say what is wrong', async () => {
    const cases: [string[], number, RegExp][] = [
      [['importance', model], 64, /missing --data <text file or image folder> \(or --data-free \/ --random/],
      [['importance', model, '--data', kjv, '--random'], 64, /choose one of --data, --random/],
      [['importance', model, '--data', kjv, '--samples', '0'], 64, /--samples must be at least 1, got 0/],
      [['importance', model, '--data', path.join(tmp.dir, 'missing.txt')], 3, /cannot read the calibration data .*missing\.txt/],
      [['importance', model, '--data', path.dirname(fixturePath('vit-op17', 'x'))], 64, /this gpt2 model calibrates on text/],
      [['importance', fixturePath('vit-op17'), '--data', kjv], 64, /kjv\.txt is not a PNG or JPEG image: this model reads images/],
      [['importance', fixturePath('cnn-op17'), '--data-free'], 2, /not a transformer/],
    ];
    for (const [args, code, message] of cases) {
      const r = await runCli(args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });
});
