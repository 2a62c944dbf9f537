import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { SubcloneError } from '../errors';

/** tsx's CommonJS hook (a dev dependency: only sources under tsx use it; the bundles never do). */
const TSX_HOOK = 'tsx/cjs';

/**
 * The script of a helper entry (a worker thread's or a child process's): the bundle beside the running bundle
 * (dist/cli.js, dist/worker.js → dist/<bundle>), or `source`, its TypeScript file, when running from source under
 * tsx (tests, benchmarks). Throws when the bundle is missing, naming it.
 */
export function helperScript(source: string, bundle: string, what: string): string {
  const script = __filename.endsWith('.ts') ? source : path.join(__dirname, bundle);
  if (!fs.existsSync(script)) throw new SubcloneError('Runtime', `the ${what} script ${script} is missing (rebuild with node esbuild.config.mjs)`);
  return script;
}

/** A worker thread on `script`; TypeScript sources load through tsx's require hook. */
export function startThread(script: string, workerData: unknown): Worker {
  if (!script.endsWith('.ts')) return new Worker(script, { workerData });
  const hook = require.resolve(TSX_HOOK);
  return new Worker(`require(${JSON.stringify(hook)}); require(${JSON.stringify(script)});`, { eval: true, workerData });
}

/**
 * A Node.js child process on `script` with an IPC channel that carries typed arrays (advanced serialisation);
 * TypeScript sources load through tsx's require hook. Its stdout and stderr are the parent's.
 */
export function startProcess(script: string): ChildProcess {
  const execArgv = script.endsWith('.ts') ? ['--require', require.resolve(TSX_HOOK)] : [];
  return fork(script, [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}
