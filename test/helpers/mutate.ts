import { Rng } from '../../src/core/random/rng';

export const MUTATION_KINDS = ['truncate', 'bit-flip', 'overwrite', 'delete', 'duplicate'] as const;
export type MutationKind = (typeof MUTATION_KINDS)[number];

/** One change to a file's bytes, described well enough to redo it by hand. */
export interface Mutation {
  kind: MutationKind;
  /** Byte offset the change starts at. */
  at: number;
  /** Bytes cut off, flipped, overwritten, deleted or duplicated. */
  length: number;
}

/** Where a mutation may start: anywhere, or (for models) preferably outside the weight payloads. */
export interface Targets {
  size: number;
  /** Byte offsets outside raw_data payloads, where a change alters the model's structure. */
  structural?: Uint32Array;
}

/** Draws a mutation of one kind. Half of them land on structural bytes when the targets list some. */
export function drawMutation(kind: MutationKind, targets: Targets, rng: Rng): Mutation {
  const structural = targets.structural;
  const at = structural?.length && rng.next() < 0.5 ? structural[rng.int(structural.length)] : rng.int(targets.size);
  const span = () => 1 + rng.int(Math.min(32, targets.size - at));
  switch (kind) {
    case 'truncate':
      return { kind, at, length: targets.size - at };
    case 'bit-flip':
      return { kind, at, length: 1 + rng.int(Math.min(4, targets.size - at)) };
    case 'overwrite':
    case 'delete':
    case 'duplicate':
      return { kind, at, length: span() };
  }
}

/** The mutated copy of `bytes` (never changes `bytes`); random content comes from `rng`. */
export function applyMutation(bytes: Uint8Array, m: Mutation, rng: Rng): Buffer {
  const head = bytes.subarray(0, m.at);
  const tail = bytes.subarray(m.at + m.length);
  switch (m.kind) {
    case 'truncate':
      return Buffer.from(head);
    case 'bit-flip': {
      const out = Buffer.from(bytes);
      for (let i = 0; i < m.length; i++) out[m.at + i] ^= 1 << rng.int(8);
      return out;
    }
    case 'overwrite': {
      const out = Buffer.from(bytes);
      for (let i = 0; i < m.length; i++) out[m.at + i] = rng.int(256);
      return out;
    }
    case 'delete':
      return Buffer.concat([head, tail]);
    case 'duplicate':
      return Buffer.concat([bytes.subarray(0, m.at + m.length), bytes.subarray(m.at)]);
  }
}

export function describeMutation(m: Mutation): string {
  return `${m.kind} of ${m.length} byte${m.length === 1 ? '' : 's'} at ${m.at}`;
}
