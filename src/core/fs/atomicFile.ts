import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { SubcloneError } from '../errors';

/** A temporary sibling path for `target`: same folder (so rename is atomic), hidden, unique. */
export function tempSibling(target: string): string {
  const dir = path.dirname(target);
  return path.join(dir, `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

const WRITE_FAILURES: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
  ENOTDIR: 'a part of the path is not a folder',
  ENOENT: 'its folder does not exist',
};

/**
 * A write that failed for a reason of the disk (full, read-only, no permission) as a CannotWrite error naming the
 * output; anything else unchanged.
 */
export function writeFailure(e: unknown, target: string): unknown {
  // An inner write already said so about one of its temporary files: say it again about the whole output.
  const errno = e instanceof SubcloneError ? (e.code === 'CannotWrite' ? e.cause : undefined) : e;
  const code = (errno as NodeJS.ErrnoException | undefined)?.code;
  const why = code ? WRITE_FAILURES[code] : undefined;
  if (!why) return e;
  return new SubcloneError('CannotWrite', `cannot write ${target}: ${why} (${code}); nothing was written`, { cause: errno });
}

/** Throws Exists unless overwriting was allowed. */
export function assertWritable(target: string, overwrite: boolean): void {
  if (!overwrite && fs.existsSync(target)) {
    throw new SubcloneError('Exists', `${target} already exists; choose another output or allow overwriting`);
  }
}

/**
 * A sequential writer with an 8 MiB buffer; large chunks go straight to the file. It counts what it wrote.
 */
export class BufferedFileWriter {
  private readonly buf = Buffer.allocUnsafe(8 * 1024 * 1024);
  private used = 0;
  private written = 0;

  constructor(readonly fd: number) {}

  get position(): number {
    return this.written + this.used;
  }

  write(bytes: Uint8Array): void {
    if (bytes.length >= this.buf.length / 2) {
      this.flush();
      writeAll(this.fd, bytes);
      this.written += bytes.length;
      return;
    }
    if (this.used + bytes.length > this.buf.length) this.flush();
    this.buf.set(bytes, this.used);
    this.used += bytes.length;
  }

  /** Writes zero bytes until the position is a multiple of `alignment`. */
  pad(alignment: number): void {
    const rem = this.position % alignment;
    if (rem) this.write(new Uint8Array(alignment - rem));
  }

  flush(): void {
    if (!this.used) return;
    writeAll(this.fd, this.buf.subarray(0, this.used));
    this.written += this.used;
    this.used = 0;
  }
}

/** fs.writeSync takes at most 2 GiB - 1 per call; larger views go in 1 GiB pieces. */
function writeAll(fd: number, bytes: Uint8Array): void {
  const piece = 1 << 30;
  for (let off = 0; off < bytes.length; ) off += fs.writeSync(fd, bytes, off, Math.min(piece, bytes.length - off));
}

/**
 * Runs `fill` on temporary files and renames them onto their targets only when it succeeds; on failure the
 * temporaries are removed and the targets are untouched. Targets are renamed in the given order.
 */
export function writeFilesAtomically<T>(targets: string[], fill: (temps: string[]) => T): T {
  const temps = targets.map(tempSibling);
  try {
    const result = fill(temps);
    targets.forEach((t, i) => {
      if (fs.existsSync(temps[i])) fs.renameSync(temps[i], t);
    });
    return result;
  } catch (e) {
    for (const t of temps) fs.rmSync(t, { force: true });
    throw writeFailure(e, targets.length === 1 ? targets[0] : path.dirname(targets[0]));
  }
}

/** Writes one small file atomically (temp file, then rename). */
export function writeFileAtomic(target: string, data: string | Uint8Array, overwrite = true): void {
  assertWritable(target, overwrite);
  writeFilesAtomically([target], ([tmp]) => fs.writeFileSync(tmp, data));
}
