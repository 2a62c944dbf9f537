import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SubcloneError, errorMessage } from '../errors';

/** Above this many bytes in all, the arrays move to a temporary file. */
export const SPILL_ABOVE_BYTES = 64 * 1024 * 1024;

/**
 * Float32 arrays kept in the order they were added and read back by index. Small sets stay in memory; once they
 * hold more than `spillAbove` bytes they move to a temporary file, removed from its folder at once (it lives
 * while its descriptor is open: close() frees it, and so does the process ending), so memory holds one array
 * at a time whatever the number of batches or the vocabulary.
 */
export class SpilledArrays {
  private memory: Float32Array[] | null = [];
  private bytes = 0;
  private fd: number | null = null;
  private readonly places: { offset: number; length: number }[] = [];
  private closed = false;

  constructor(private readonly spillAbove = SPILL_ABOVE_BYTES) {}

  get length(): number {
    return this.memory ? this.memory.length : this.places.length;
  }

  push(values: Float32Array): void {
    if (this.memory && this.bytes + values.byteLength <= this.spillAbove) {
      this.memory.push(Float32Array.from(values));
      this.bytes += values.byteLength;
      return;
    }
    if (this.memory) {
      const held = this.memory;
      this.memory = null;
      this.fd = openUnlinked();
      this.bytes = 0;
      for (const a of held) this.append(a);
    }
    this.append(values);
  }

  get(index: number): Float32Array {
    if (index < 0 || index >= this.length) throw new SubcloneError('Runtime', `reference output ${index} of ${this.length} asked for${this.closed ? ' after they were freed' : ''}`);
    if (this.memory) return this.memory[index];
    const { offset, length } = this.places[index];
    const out = new Float32Array(length);
    const view = new Uint8Array(out.buffer);
    for (let done = 0; done < view.length; ) {
      const n = fs.readSync(this.fd!, view, done, view.length - done, offset + done);
      if (n <= 0) throw new SubcloneError('Runtime', 'the temporary file of reference outputs ended early');
      done += n;
    }
    return out;
  }

  close(): void {
    this.closed = true;
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    this.memory = [];
    this.places.length = 0;
    this.bytes = 0;
  }

  private append(values: Float32Array): void {
    const offset = this.bytes;
    const view = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    try {
      for (let done = 0; done < view.length; ) done += fs.writeSync(this.fd!, view, done, view.length - done, offset + done);
    } catch (e) {
      throw new SubcloneError('Runtime', `cannot write the parent's reference outputs to a temporary file in ${os.tmpdir()}: ${errorMessage(e)}`, { cause: e });
    }
    this.places.push({ offset, length: values.length });
    this.bytes += values.byteLength;
  }
}

function openUnlinked(): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'subclone-reference-'));
  const file = path.join(dir, 'outputs.f32');
  try {
    return fs.openSync(file, 'w+', 0o600);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
