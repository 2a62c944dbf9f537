// The baseline: a plain copy of the same bytes (read, then written to a new file, then fsync'd like the writer).
import * as fs from 'node:fs';
import { reportTask } from '../harness';

const [source, target] = process.argv.slice(2);
fs.rmSync(target, { force: true });
void reportTask(() => {
  const fdIn = fs.openSync(source, 'r');
  const fdOut = fs.openSync(target, 'w');
  const buf = Buffer.allocUnsafe(8 * 1024 * 1024);
  let pos = 0;
  for (;;) {
    const n = fs.readSync(fdIn, buf, 0, buf.length, pos);
    if (!n) break;
    fs.writeSync(fdOut, buf, 0, n);
    pos += n;
  }
  fs.fsyncSync(fdOut);
  fs.closeSync(fdIn);
  fs.closeSync(fdOut);
  return pos;
});
