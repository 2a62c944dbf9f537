import * as fs from 'node:fs';
import * as path from 'node:path';
import { SubcloneError, errorMessage } from '../errors';

/** The lock file a running sweep holds in its output folder. */
export const LOCK_FILE = '.convergence.lock';

interface LockInfo {
  pid: number;
  startedAt: string;
}

/**
 * Takes the output folder's lock, so two sweeps on the same child cannot run at once (in two processes, or twice in
 * one, such as the extension's worker). A lock left by a process that no longer runs is taken over. Returns the
 * release function.
 */
export function acquireSweepLock(outDir: string): () => void {
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, LOCK_FILE);
  const mine: LockInfo = { pid: process.pid, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(mine), { flag: 'wx' });
      return () => release(file, mine);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new SubcloneError('Runtime', `cannot create the lock ${file}: ${errorMessage(e)}`, { cause: e });
    }
    const held = readLock(file);
    if (held && alive(held.pid)) {
      throw new SubcloneError('Exists', `a convergence check is already running on this child (process ${held.pid}, since ${held.startedAt}, output ${outDir}); wait for it to end or cancel it`);
    }
    if (!held && youngerThan(file, 5000)) throw new SubcloneError('Exists', `a convergence check is starting on this child (lock ${file}); wait for it to end or cancel it`);
    fs.rmSync(file, { force: true }); // stale: its process is gone (or the file was never completed)
  }
  throw new SubcloneError('Exists', `cannot take the lock ${file}: another convergence check keeps creating it`);
}

function release(file: string, mine: LockInfo): void {
  const held = readLock(file);
  if (held && held.pid === mine.pid && held.startedAt === mine.startedAt) fs.rmSync(file, { force: true });
}

function readLock(file: string): LockInfo | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockInfo>;
    return typeof v.pid === 'number' && typeof v.startedAt === 'string' ? { pid: v.pid, startedAt: v.startedAt } : undefined;
  } catch {
    return undefined; // unreadable or half-written: treated as stale
  }
}

function youngerThan(file: string, ms: number): boolean {
  try {
    return Date.now() - fs.statSync(file).mtimeMs < ms;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
