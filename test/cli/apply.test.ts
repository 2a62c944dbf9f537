import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { runCli } from '../helpers/cli';
import { copyExampleFiles, exampleDir, exampleModel, fixturePath, tempDir } from '../helpers/paths';

/** A private copy of the example parent (subclone writes beside the model). */
function copyExample(dir: string): string {
  copyExampleFiles(dir);
  return path.join(dir, 'model.onnx');
}

describe('subclone apply', function () {
  this.timeout(600_000);
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('the pretrained parent to 3 layers × 96 (3 heads, FFN 384): a model far better than random init', async () => {
    const model = copyExample(dir);
    const r = await runCli(['apply', model, '--layers', '3', '--dim', '96', '--heads', '3', '--ffn', '384', '--data', path.join(dir, 'kjv.txt'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = path.join(dir, 'model-subclone-3L-96d-3h-384f');
    assert.deepEqual(fs.readdirSync(out).sort(), ['config.json', 'model.onnx', 'model.safetensors', 'subclone.json', 'tokenizer.json', 'tokenizer_config.json']);
    const p = JSON.parse(fs.readFileSync(path.join(out, 'subclone.json'), 'utf8'));
    assert.equal(p.parent.sha256.length, 64);
    assert.equal(p.kept.blocks.length, 3);
    assert.equal(p.kept.blocks[0], 0);
    assert.equal(p.kept.embedding.length, 96);
    assert.equal(p.blockSelection.policy, 'loss');
    assert.equal(p.blockSelection.candidates.length, 10);
    const v = p.verification;
    assert.ok(v.parent < v.child && v.child < v.randomInit - 1.5, `parent ${v.parent}, child ${v.child}, random ${v.randomInit}`);
    const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    assert.deepEqual([config.n_layer, config.n_embd, config.n_head, config.n_inner], [3, 96, 3, 384]);
    const session = await ort.InferenceSession.create(path.join(out, 'model.onnx'), { logSeverityLevel: 3 });
    assert.deepEqual(session.inputNames, ['input_ids']);
    const { logits } = await session.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from([72n, 101n, 32n]), [1, 3]) });
    assert.deepEqual(logits.dims, [1, 3, 256]);
    await session.release();
    // The summary is printed for people too.
    const again = await runCli(['apply', model, '--layers', '3', '--dim', '96', '--data', path.join(dir, 'kjv.txt'), '--verify-samples', '5', '--force']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /parameters 2\.74M → 372\.6K/);
    // 5 held-out sequences of the model's 128 positions: 127 next-token targets each.
    assert.match(again.stdout, /held-out next-token cross-entropy \(nats\/token\): parent [\d.]+, subclone [\d.]+, random init [\d.]+ \(635 tokens\)/);
  });

  it('data-free selection says so and writes an unverified subclone', async () => {
    const model = copyExample(dir);
    const r = await runCli(['apply', model, '--layers', '2', '--dim', '64', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /data-free/);
    const p = JSON.parse(r.stdout);
    assert.equal(p.importance.calibration.source, 'weights');
    assert.equal(p.importance.calibration.fallback, true);
    assert.equal(p.verification, null);
    assert.deepEqual(p.kept.blocks, [0, 1]);
  });

  it('an impossible shape fails before anything is written, naming the constraint', async () => {
    const model = copyExample(dir);
    const before = fs.readdirSync(dir).sort();
    const r = await runCli(['apply', model, '--layers', '3', '--dim', '96', '--heads', '4']);
    assert.equal(r.code, 64);
    assert.match(r.stderr, /impossible target shape: .*d_model must equal heads × head_dim \(32\)/);
    const big = await runCli(['apply', model, '--layers', '9', '--dim', '96']);
    assert.equal(big.code, 64);
    assert.match(big.stderr, /layers 9 is larger than the parent's 6/);
    assert.deepEqual(fs.readdirSync(dir).sort(), before);
  });

  it('never overwrites an existing subclone unless forced', async () => {
    const model = copyExample(dir);
    const out = path.join(dir, 'model-subclone-2L-64d-2h-256f');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'mine.txt'), 'keep me');
    const r = await runCli(['apply', model, '--layers', '2', '--dim', '64']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /already exists/);
    assert.deepEqual(fs.readdirSync(out), ['mine.txt']);
    const forced = await runCli(['apply', model, '--layers', '2', '--dim', '64', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.ok(!fs.existsSync(path.join(out, 'mine.txt')));
  });

  it('an interrupted run leaves nothing behind', async () => {
    const model = copyExample(dir);
    const before = fs.readdirSync(dir).sort();
    const r = await runCli(['apply', model, '--layers', '3', '--dim', '96', '--data', path.join(dir, 'kjv.txt')], { signalAfterMs: 2500 });
    assert.equal(r.code, 130, r.stderr);
    assert.deepEqual(fs.readdirSync(dir).sort(), before);
  });

  it('an unsupported model exits 2', async () => {
    const r = await runCli(['apply', fixturePath('cnn-op17'), '--layers', '1', '--dim', '8']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not a transformer/);
  });

  it('--params 25% searches the shapes that fit, prints the candidates with parameters and losses, and writes the best', async () => {
    const model = copyExample(dir);
    const r = await runCli(['apply', model, '--params', '25%', '--candidates', '4', '--data', path.join(dir, 'kjv.txt')]);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.split('\n').filter((l) => /^\s+\d+\s+\d+ layers? × \d+/.test(l));
    assert.equal(rows.length, 4, r.stdout);
    const losses = rows.map((l) => Number(/(\d+\.\d+)(\s+← written)?$/.exec(l)![1]));
    assert.deepEqual(losses, [...losses].sort((a, b) => a - b), 'best first');
    for (const l of rows) assert.match(l, /\d+(\.\d+)?K \(2\d\.\d%\)|\d+(\.\d+)?K \(1\d\.\d%\)/);
    assert.match(rows[0], /← written$/);
    const written = /^wrote (.+)$/m.exec(r.stdout)![1];
    const p = JSON.parse(fs.readFileSync(path.join(written, 'subclone.json'), 'utf8'));
    assert.ok(p.parameters <= 0.25 * p.parent.parameters, `${p.parameters} > 25% of ${p.parent.parameters}`);
    assert.equal(p.budgetSearch.candidates.length, 4);
    assert.equal(p.budgetSearch.candidates[0].loss, Math.min(...p.budgetSearch.candidates.map((c: { loss: number }) => c.loss)));
    assert.deepEqual(p.shape, p.budgetSearch.candidates[0].shape);
    assert.deepEqual(p.kept.blocks, p.budgetSearch.candidates[0].blocks);
    assert.equal(p.blockSelection.policy, 'loss');
  });

  it('--params is checked before the model is read: no shape flags with it, it needs data, and it must parse', async () => {
    const missing = path.join(dir, 'absent.onnx'); // never read: each call fails on its arguments first
    const cases: [string[], RegExp][] = [
      [['--params', '25%', '--layers', '3', '--data', 'x.txt'], /--params searches the shape; leave out --layers/],
      [['--params', '25%'], /--params scores shapes by calibration loss: pass --data/],
      [['--params', 'a quarter', '--data', 'x.txt'], /a parameter budget is a count/],
      [['--layers', '3', '--candidates', '4'], /--candidates goes with --params/],
    ];
    for (const [args, pattern] of cases) {
      const r = await runCli(['apply', missing, ...args]);
      assert.equal(r.code, 64, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
    }
  });

  it('every argument is checked before the model is read, each problem said once', async () => {
    const missing = path.join(dir, 'absent.onnx'); // never read: each call fails on its arguments first
    const cases: [string[], number, RegExp][] = [
      [['--layers', '3', '--ffn', '0'], 64, /--ffn takes whole numbers ≥ 1 \(one, or one per kept block\), got "0"/],
      [['--layers', '3', '--ffn', '300,x'], 64, /got "x"/],
      [['--layers', '3', '--blocks', '0,0,1'], 64, /--blocks lists block 0 twice/],
      [['--layers', '2', '--blocks', '0,1,5'], 64, /--blocks lists 3 blocks but --layers is 2/],
      [['--layers', '0'], 64, /--layers must be a whole number ≥ 1, got 0/],
      [['--dim=-8'], 64, /--dim must be a whole number ≥ 1, got -8/],
      [['--layers', '2', '--samples', '0'], 64, /--samples must be a whole number ≥ 1/],
      [['--layers', '2', '--data', 'x.txt', '--verify-samples', '0'], 64, /--verify-samples must be a whole number ≥ 1/],
      [['--layers', '2', '--verify-samples', '4'], 64, /--verify-samples verifies on calibration data: pass --data/],
      [['--layers', '2', '--data', path.join(dir, 'nope.txt')], 3, /--data .*nope\.txt does not exist/],
    ];
    for (const [args, code, pattern] of cases) {
      const r = await runCli(['apply', missing, ...args]);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    }
  });

  it('a folder that is not a Hugging Face checkpoint given as the model: a clear message naming the .onnx inside it (exit 3)', async () => {
    const r = await runCli(['inspect', exampleDir]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /kjv-gpt2 is a folder, but neither a Hugging Face checkpoint \(config\.json with model\.safetensors or model\.safetensors\.index\.json\) nor an ONNX model file: give the \.onnx file itself; it holds model\.onnx/);
  });

  it('a text shorter than one window is refused, naming the file and the counts', async () => {
    const short = path.join(dir, 'short.txt');
    fs.writeFileSync(short, 'In the beginning God created the heaven and the earth.');
    const r = await runCli(['apply', exampleModel, '--layers', '2', '--data', short, '--out', path.join(dir, 'never')]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /short\.txt has \d+ tokens to calibrate on \(its first 95%\), fewer than one window of 128 tokens/);
    assert.equal(fs.existsSync(path.join(dir, 'never')), false);
  });

  it('progress percentages never go backwards', async () => {
    const r = await runCli(['apply', exampleModel, '--layers', '3', '--dim', '96', '--data', path.join(exampleDir, 'kjv.txt'), '--out', path.join(dir, 'progress'), '--force']);
    assert.equal(r.code, 0, r.stderr);
    const pcts = [...r.stderr.matchAll(/^\[\s*(\d+)%\]/gm)].map((m) => Number(m[1]));
    assert.ok(pcts.length > 5, r.stderr);
    pcts.forEach((p, i) => assert.ok(i === 0 || p >= pcts[i - 1], `went back from ${pcts[i - 1]}% to ${p}%: ${pcts.join(', ')}`));
  });

  it('a full disk (a 1 MiB tmpfs) and a read-only one: exit 73 naming the output, nothing left there, the parent untouched', async function () {
    const mnt = path.join(dir, 'tiny');
    fs.mkdirSync(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      this.skip(); // mounting needs root (CI's container has it; a developer's machine may not)
    }
    try {
      const parent = copyExample(path.join(dir, 'parent'));
      const before = fs.readFileSync(parent);
      const full = await runCli(['apply', parent, '--layers', '3', '--dim', '96', '--out', path.join(mnt, 'child')]);
      assert.equal(full.code, 73, full.stderr);
      assert.match(full.stderr, new RegExp(`cannot write ${path.join(mnt, 'child').replace(/[/.]/g, '\\$&')}: the disk is full \\(ENOSPC\\); nothing was written`));
      assert.deepEqual(fs.readdirSync(mnt), []);
      execFileSync('mount', ['-o', 'remount,ro', mnt]);
      const ro = await runCli(['apply', parent, '--layers', '3', '--dim', '96', '--out', path.join(mnt, 'child')]);
      assert.equal(ro.code, 73, ro.stderr);
      assert.match(ro.stderr, /the file system is read-only \(EROFS\)/);
      assert.ok(fs.readFileSync(parent).equals(before), 'the parent is untouched');
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});
