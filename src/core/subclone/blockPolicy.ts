import { SubcloneError } from '../errors';

/**
 * How to choose the blocks to keep. 'loss' (default): the candidate with the lowest calibration loss among subsets
 * that keep block 0 (all of them up to 64 candidates, else greedy removal); 'magnitude': the paper's rule, drop the
 * blocks with the smallest relative residual update but never the first or last; 'first': the first l; 'middle':
 * remove one contiguous run from the middle (keep the first ⌈l/2⌉ and the last ⌊l/2⌋); 'list': explicit blocks.
 */
export type BlockPolicy = { kind: 'loss' } | { kind: 'magnitude' } | { kind: 'first' } | { kind: 'middle' } | { kind: 'list'; blocks: number[] };

export const MAX_EXHAUSTIVE_CANDIDATES = 64;

export function parseBlockPolicy(text: string, layers: number): BlockPolicy {
  const policy = parseBlockSpec(text);
  checkBlockRange(policy, layers);
  return policy;
}

/** --blocks as written, checked without the model: a rule's name, or block indices each listed once. */
export function parseBlockSpec(text: string): BlockPolicy {
  if (['loss', 'magnitude', 'first', 'middle'].includes(text)) return { kind: text as 'loss' };
  const blocks = text.split(',').map((s) => s.trim());
  const bad = blocks.find((b) => !/^\d+$/.test(b));
  if (bad !== undefined) {
    throw new SubcloneError('BadArgument', `--blocks takes loss, magnitude, first, middle or a list of block indices such as 0,2,5 (got ${JSON.stringify(bad)} in "${text}")`);
  }
  const indices = blocks.map(Number);
  const twice = indices.find((b, i) => indices.indexOf(b) !== i);
  if (twice !== undefined) throw new SubcloneError('BadArgument', `--blocks lists block ${twice} twice ("${text}"): each kept block once`);
  return { kind: 'list', blocks: indices.sort((a, b) => a - b) };
}

/** A list's blocks exist in a parent of `layers` blocks. */
export function checkBlockRange(policy: BlockPolicy, layers: number): void {
  if (policy.kind !== 'list') return;
  const outside = policy.blocks.filter((b) => b >= layers);
  if (outside.length) throw new SubcloneError('BadArgument', `--blocks lists block ${outside.join(', ')}, but the model has blocks 0–${layers - 1}`);
}

/** Blocks chosen by a rule that needs no evaluation. */
export function ruleBlocks(policy: Exclude<BlockPolicy, { kind: 'loss' }>, parentLayers: number, layers: number, relativeMagnitude?: readonly number[]): number[] {
  switch (policy.kind) {
    case 'first':
      return range(layers);
    case 'middle': {
      const head = Math.ceil(layers / 2);
      return [...range(head), ...range(layers - head).map((i) => parentLayers - (layers - head) + i)];
    }
    case 'magnitude': {
      if (!relativeMagnitude) throw new SubcloneError('BadArgument', 'the magnitude rule needs block magnitudes from calibration data');
      if (layers === 1) return [0];
      const middle = range(parentLayers).slice(1, -1).sort((a, b) => relativeMagnitude[b] - relativeMagnitude[a] || a - b);
      return [0, ...middle.slice(0, layers - 2), parentLayers - 1].sort((a, b) => a - b);
    }
    case 'list':
      if (policy.blocks.length !== layers) throw new SubcloneError('BadShape', `--blocks lists ${policy.blocks.length} blocks but the shape has ${layers} layers`);
      return policy.blocks;
  }
}

/** Every subset of `layers` blocks that keeps block 0, or undefined when there are more than the exhaustive limit. */
export function exhaustiveCandidates(parentLayers: number, layers: number): number[][] | undefined {
  if (binomial(parentLayers - 1, layers - 1) > MAX_EXHAUSTIVE_CANDIDATES) return undefined;
  const out: number[][] = [];
  const pick = (start: number, chosen: number[]) => {
    if (chosen.length === layers) return void out.push([...chosen]);
    for (let b = start; b < parentLayers; b++) pick(b + 1, [...chosen, b]);
  };
  pick(1, [0]);
  return out;
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
