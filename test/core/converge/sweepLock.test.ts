import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { acquireSweepLock, LOCK_FILE } from '../../../src/core/converge/sweepLock';
import { isSubcloneError } from '../../../src/core/errors';
import { tempDir } from '../../helpers/paths';

describe('convergence sweep lock', () => {
  it('refuses a second sweep on the same folder while the first holds it, and frees it on release', () => {
    const { dir, cleanup } = tempDir();
    try {
      const release = acquireSweepLock(dir);
      assert.throws(() => acquireSweepLock(dir), (e) => isSubcloneError(e, 'Exists') && /already running/.test(e.message));
      release();
      assert.equal(fs.existsSync(path.join(dir, LOCK_FILE)), false);
      acquireSweepLock(dir)();
    } finally {
      cleanup();
    }
  });

  it('takes over a lock whose process is gone', () => {
    const { dir, cleanup } = tempDir();
    try {
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
      fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: Number(dead), startedAt: 'then' }));
      const release = acquireSweepLock(dir);
      assert.equal(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid, process.pid);
      release();
    } finally {
      cleanup();
    }
  });
});
