import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ensureBuilt, runCli } from '../helpers/cli';
import { exampleModel, repoRoot, tempDir } from '../helpers/paths';

describe('subclone CLI basics', () => {
  it('prints usage and exits 64 without a command', async () => {
    const r = await runCli([]);
    assert.equal(r.code, 64);
    assert.match(r.stdout, /usage: subclone <command>/);
    assert.match(r.stdout, /inspect/);
  });

  it('rejects an unknown command and an unknown option', async () => {
    const a = await runCli(['frobnicate']);
    assert.equal(a.code, 64);
    assert.match(a.stderr, /unknown command "frobnicate"/);
    const b = await runCli(['inspect', exampleModel, '--bogus']);
    assert.equal(b.code, 64);
    assert.match(b.stderr, /bogus/);
  });

  it('inspect --json of the example gives its I/O and parameter count', async () => {
    const r = await runCli(['inspect', exampleModel, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.deepEqual(json.inputs.map((v: { name: string }) => v.name), ['input_ids']);
    assert.deepEqual(json.outputs[0].shape, ['batch', 'sequence', 256]);
  });

  it('stops quietly when the reader of its output closes the pipe early (| head)', () => {
    ensureBuilt();
    const r = spawnSync('bash', ['-c', `"${process.execPath}" dist/cli.js inspect "${exampleModel}" | head -1`], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.equal(r.stdout.trim(), exampleModel);
    assert.equal(r.stderr, '', 'no EPIPE stack trace');
  });

  it('a corrupt file exits 3 with a message naming it', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'half.onnx');
      const bytes = fs.readFileSync(exampleModel);
      fs.writeFileSync(file, bytes.subarray(0, bytes.length >> 1));
      const r = await runCli(['inspect', file]);
      assert.equal(r.code, 3);
      assert.match(r.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is truncated`));
    } finally {
      cleanup();
    }
  });
});
