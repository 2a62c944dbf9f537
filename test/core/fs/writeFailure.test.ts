import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isSubcloneError } from '../../../src/core/errors';
import { writeFilesAtomically } from '../../../src/core/fs/atomicFile';
import { writeFolderAtomically } from '../../../src/core/subclone/outputFolder';
import { tempDir } from '../../helpers/paths';

/** The error Node raises when the disk fills up mid-write. */
function diskFull(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
}

describe('a write that fails for a reason of the disk', () => {
  let tmp: { dir: string; cleanup: () => void };
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('a full disk while filling an output folder: CannotWrite naming the folder, nothing left behind', async () => {
    const out = path.join(tmp.dir, 'child');
    await assert.rejects(
      writeFolderAtomically(out, false, async (t) => {
        fs.writeFileSync(path.join(t, 'model.onnx'), 'partial');
        // An inner atomic write reports its own temporary file first; the folder's message names the folder.
        writeFilesAtomically([path.join(t, 'config.json')], () => {
          throw diskFull();
        });
      }),
      (e) => isSubcloneError(e, 'CannotWrite') && e.message === `cannot write ${out}: the disk is full (ENOSPC); nothing was written`,
    );
    assert.deepEqual(fs.readdirSync(tmp.dir), [], 'no partial folder, no temporary');
  });

  it('a file where a folder should be: says which', async () => {
    const blocker = path.join(tmp.dir, 'file');
    fs.writeFileSync(blocker, 'x');
    const out = path.join(blocker, 'child');
    await assert.rejects(writeFolderAtomically(out, false, async () => undefined), (e) => isSubcloneError(e, 'CannotWrite') && /a part of the path is not a folder \(ENOTDIR\)/.test(e.message));
  });

  it('other errors pass through unchanged', () => {
    const target = path.join(tmp.dir, 'a.json');
    assert.throws(() => writeFilesAtomically([target], () => {
      throw new RangeError('a bug');
    }), RangeError);
    assert.deepEqual(fs.readdirSync(tmp.dir), []);
  });
});
