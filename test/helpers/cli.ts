import { spawn, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './paths';

const cli = path.join(repoRoot, 'dist', 'cli.js');
let built = false;

/** Builds the bundles once per test run, so CLI tests exercise the shipped dist/cli.js. */
export function ensureBuilt(): void {
  if (built) return;
  execFileSync(process.execPath, ['esbuild.config.mjs'], { cwd: repoRoot, stdio: 'inherit' });
  built = fs.existsSync(cli);
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI with arguments; resolves with its exit code and output. */
export function runCli(args: string[], options: { cwd?: string; signalAfterMs?: number } = {}): Promise<CliResult> {
  ensureBuilt();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: options.cwd ?? repoRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    if (options.signalAfterMs !== undefined) setTimeout(() => child.kill('SIGINT'), options.signalAfterMs);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
