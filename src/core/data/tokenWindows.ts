import { SubcloneError } from '../errors';
import { Rng } from '../random/rng';

/**
 * Start offsets of token windows of `length` tokens in a stream of `available` tokens: `count` offsets drawn
 * uniformly from a seed and a label (so every step's batch is a pure function of (seed, step)).
 */
export function randomWindows(available: number, length: number, count: number, seed: number, label: string): number[] {
  const room = available - length;
  if (room < 0) throw new SubcloneError('MissingData', `the data has ${available} tokens, fewer than one window of ${length}`);
  const rng = new Rng(seed, label);
  return Array.from({ length: count }, () => rng.int(room + 1));
}

/** As randomWindows, in a stream of `pieces` independent pieces of `pieceLength` tokens: no window spans two. */
export function randomWindowsInPieces(pieces: number, pieceLength: number, length: number, count: number, seed: number, label: string): number[] {
  const room = pieceLength - length;
  if (room < 0) throw new SubcloneError('MissingData', `the data's pieces have ${pieceLength} tokens, fewer than one window of ${length}`);
  const rng = new Rng(seed, label);
  return Array.from({ length: count }, () => rng.int(pieces) * pieceLength + rng.int(room + 1));
}

/**
 * Start offsets of `count` windows spread evenly over the stream (non-overlapping when there is room): a fixed
 * held-out or calibration set. `count` 'all' takes every non-overlapping window.
 */
export function evenWindows(available: number, length: number, count: number | 'all'): number[] {
  const room = available - length;
  if (room < 0) throw new SubcloneError('MissingData', `the data has ${available} tokens, fewer than one window of ${length}`);
  const fit = Math.floor(available / length);
  const n = count === 'all' ? fit : count;
  if (n <= 1) return [0];
  if (n <= fit) {
    const stride = Math.floor(available / n);
    return Array.from({ length: n }, (_, k) => Math.min(k * stride, room));
  }
  return Array.from({ length: n }, (_, k) => Math.round((k * room) / (n - 1)));
}
