import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readConvergenceFile } from '../../src/core/converge/convergenceFile';
import { ensureBuilt, runCli, type CliResult } from '../helpers/cli';
import { exampleDir, fixturePath, repoRoot, tempDir } from '../helpers/paths';

const KJV = path.join(exampleDir, 'kjv.txt');
const CHILD = fixturePath('gpt2-op14');
const SHORT = ['--steps', '6', '--batch', '2', '--seq', '16', '--eval-every', '3', '--eval-batches', '1', '--provider', 'cpu', '--widen', '0'];

/** Runs the CLI and sends Ctrl+C once stderr matches `when`. */
function runCliUntil(args: string[], when: RegExp): Promise<CliResult & { signalled: boolean }> {
  ensureBuilt();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), ...args], { cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!signalled && when.test(stderr)) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, signalled }));
  });
}

describe('subclone converge', function () {
  this.timeout(120000);

  it('runs a short sweep, prints the runs and the verdict, and writes convergence.json and one CSV per run', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const r = await runCli(['converge', CHILD, '--data', KJV, ...SHORT, '--lrs', '1e-3,3e-3', '--random-lrs', '1e-2', '--out', dir]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /init\s+lr\s+status\s+steps\s+val loss/);
      assert.match(r.stdout, /subclone( \*)?\s+1e-3\s+finished\s+6\/6/);
      assert.match(r.stdout, /random \*\s+1e-2\s+finished/);
      assert.match(r.stdout, /The subclone \(best lr \S+\) (reaches|does not reach|starts below) the best random init's final validation loss/);
      assert.match(r.stderr, /3 runs of 6 steps/);
      assert.deepEqual(fs.readdirSync(dir).sort(), ['convergence.json', 'random-lr1e-2.csv', 'subclone-lr1e-3.csv', 'subclone-lr3e-3.csv']);
      const f = readConvergenceFile(path.join(dir, 'convergence.json'));
      assert.equal(f.status, 'finished');
      assert.equal(f.runs.length, 3);
      const again = await runCli(['converge', CHILD, '--data', KJV, ...SHORT, '--lrs', '1e-3', '--random-lrs', '1e-2', '--out', dir]);
      assert.equal(again.code, 1, 'an earlier sweep is not replaced without --force');
      assert.match(again.stderr, /already exists/);
      const json = await runCli(['converge', CHILD, '--data', KJV, ...SHORT, '--lrs', '1e-3', '--random-lrs', '1e-2', '--out', dir, '--force', '--json']);
      assert.equal(json.code, 0, json.stderr);
      assert.deepEqual(JSON.parse(json.stdout), readConvergenceFile(path.join(dir, 'convergence.json')));
      assert.deepEqual(fs.readdirSync(dir).sort(), ['convergence.json', 'random-lr1e-2.csv', 'subclone-lr1e-3.csv'], 'the earlier sweep’s CSVs went with it');
    } finally {
      cleanup();
    }
  });

  it('Ctrl+C exits 130 and keeps the finished runs, with the verdict over them', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const r = await runCliUntil(['converge', CHILD, '--data', KJV, '--steps', '400', '--batch', '2', '--seq', '16', '--eval-every', '100', '--eval-batches', '1',
        '--lrs', '1e-3', '--random-lrs', '1e-2', '--parallel', '1', '--provider', 'cpu', '--out', dir], /subclone lr 1e-3: finished after 400 steps/);
      assert.ok(r.signalled, r.stderr);
      assert.equal(r.code, 130, r.stderr);
      const f = readConvergenceFile(path.join(dir, 'convergence.json'));
      assert.equal(f.status, 'cancelled');
      assert.deepEqual(f.runs.map((x) => x.status), ['finished', 'cancelled']);
      assert.deepEqual(f.verdict.over, { finished: 1, planned: 2 });
      assert.match(r.stdout, /No random-init run finished/);
      assert.ok(fs.existsSync(path.join(dir, 'subclone-lr1e-3.csv')));
      assert.equal(fs.existsSync(path.join(dir, '.convergence.lock')), false, 'the lock is released');
    } finally {
      cleanup();
    }
  });

  it('exits 2 naming a model the trainer cannot train, 64 for bad arguments, 3 for missing data, before training', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const encoder = await runCli(['converge', fixturePath('bert-op14'), '--data', KJV, ...SHORT, '--out', dir]);
      assert.equal(encoder.code, 2, encoder.stderr);
      assert.match(encoder.stderr, /encoder without a head/);
      const badLrs = await runCli(['converge', CHILD, '--data', KJV, '--lrs', '1e-3,abc', '--out', dir]);
      assert.equal(badLrs.code, 64);
      assert.match(badLrs.stderr, /--lrs/);
      const noData = await runCli(['converge', CHILD, '--out', dir]);
      assert.equal(noData.code, 64);
      const missing = await runCli(['converge', CHILD, '--data', path.join(dir, 'nope.txt'), '--out', dir]);
      assert.equal(missing.code, 3);
      assert.deepEqual(fs.readdirSync(dir), [], 'nothing written');
    } finally {
      cleanup();
    }
  });
});
