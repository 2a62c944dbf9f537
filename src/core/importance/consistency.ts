import type { ImportanceReport } from './report';

/** The paper's consistency claim tested on this report, in one sentence computed from the data. */
export interface ConsistencyView {
  /** E.g. "One ranking fits neighbouring blocks 0–3 (ρ 0.79–0.81 between neighbours); blocks 4–5 rank differently (ρ 0.65, 0.56)…". */
  sentence: string;
  /** The threshold on neighbour ρ the sentence uses. */
  threshold: number;
  /** Maximal runs of consecutive blocks whose neighbours all reach the threshold (single blocks included). */
  runs: { first: number; last: number }[];
  /** ρ between block b and block b + 1 (length L − 1), for the chart. */
  neighbourRho: number[];
}

/** Neighbour ρ at or above this counts as "one ranking fits both blocks" (the summary's and the panel's threshold). */
export const CONSISTENCY_THRESHOLD = 0.7;

/**
 * Tests the paper's central assumption on a report — the same embedding neurons dominate every layer, so one
 * ranking serves all — and says in one sentence where it holds. Point 0 is the embedding output, point b + 1
 * the stream after block b; blocks are linked when the Spearman ρ of their output rankings reaches the
 * threshold, and maximal chains of linked neighbours are the runs one ranking fits.
 */
export function consistencyOf(report: ImportanceReport, threshold = CONSISTENCY_THRESHOLD): ConsistencyView {
  const rho = report.embedding.agreement.spearman;
  const blocks = rho.length - 1;
  const neighbourRho = Array.from({ length: Math.max(0, blocks - 1) }, (_, b) => rho[b + 1][b + 2]);
  const runs: ConsistencyView['runs'] = [];
  for (let b = 0; b < blocks; b++) {
    const last = runs[runs.length - 1];
    if (last && last.last === b - 1 && neighbourRho[b - 1] >= threshold) last.last = b;
    else runs.push({ first: b, last: b });
  }
  const sentence = blocks < 2 ? oneBlockSentence(blocks) : sentenceOf(report, runs, neighbourRho, threshold);
  return { sentence, threshold, runs, neighbourRho };
}

function oneBlockSentence(blocks: number): string {
  return blocks === 1 ? 'One block: there is no other block to compare its ranking with.' : 'No blocks to compare.';
}

function sentenceOf(report: ImportanceReport, runs: ConsistencyView['runs'], neighbourRho: number[], threshold: number): string {
  const rho = report.embedding.agreement.spearman;
  const blocks = rho.length - 1;
  const between = (a: number, b: number) => rho[a + 1][b + 1];
  const linked = runs.filter((r) => r.last > r.first);
  const single = runs.filter((r) => r.last === r.first).map((r) => r.first);
  const firstLast = `first vs last block ρ ${fmt(between(0, blocks - 1))}`;
  const parts: string[] = [];
  if (linked.length === 1 && linked[0].first === 0 && linked[0].last === blocks - 1) {
    const holds = between(0, blocks - 1) >= threshold;
    parts.push(holds
      ? `One ranking fits every block (ρ ${range(neighbourRho)} between neighbours, ${fmt(between(0, blocks - 1))} from the first to the last): the paper's claim holds here`
      : `Neighbouring blocks rank alike (ρ ${range(neighbourRho)}), but the ranking drifts along the depth (${firstLast})`);
  } else if (linked.length === 0) {
    parts.push(`No two neighbouring blocks rank their neurons alike (ρ < ${threshold} everywhere, at most ${fmt(Math.max(...neighbourRho))}): one ranking does not fit this model`);
    parts.push(firstLast);
  } else {
    const described = linked.map((r) => `${blockWords(r.first, r.last)} (ρ ${range(neighbourRho.slice(r.first, r.last))} between neighbours${r.last > r.first + 1 ? `, ${fmt(between(r.first, r.last))} from block ${r.first} to block ${r.last}` : ''})`);
    parts.push(`${linked.length === 1 ? 'One ranking fits neighbouring' : 'Rankings agree within'} ${described.join(' and within ')}`);
    if (single.length) parts.push(`${groupWords(single)} rank${single.length === 1 ? 's' : ''} differently (ρ ${single.map((b) => fmt(b > 0 ? neighbourRho[b - 1] : neighbourRho[0])).join(' and ')} with the block ${single[0] > 0 ? 'before' : 'after'})`);
    parts.push(firstLast);
  }
  parts.push(embeddingWords(between(-1, 0)));
  const prefix = report.calibration.source === 'weights' ? 'By weight magnitudes (no data): ' : '';
  return `${prefix}${parts.join('; ')}.`;
}

/** How the embedding output (point 0) relates to the first block's output. */
function embeddingWords(r: number): string {
  if (Math.abs(r) < 0.3) return `the embedding output is unrelated to the blocks (ρ ${fmt(r)} with block 0's output)`;
  if (r >= CONSISTENCY_THRESHOLD) return `the embedding output ranks like block 0 (ρ ${fmt(r)})`;
  return `the embedding output ranks partly like block 0 (ρ ${fmt(r)})`;
}

function blockWords(first: number, last: number): string {
  return first === last ? `block ${first}` : `blocks ${first}–${last}`;
}

/** "block 4", "blocks 4–5", "blocks 1, 4–5". */
function groupWords(blocks: number[]): string {
  const spans: string[] = [];
  for (let i = 0; i < blocks.length; ) {
    let j = i;
    while (j + 1 < blocks.length && blocks[j + 1] === blocks[j] + 1) j++;
    spans.push(i === j ? String(blocks[i]) : `${blocks[i]}–${blocks[j]}`);
    i = j + 1;
  }
  return `${blocks.length === 1 ? 'block' : 'blocks'} ${spans.join(', ')}`;
}

function range(values: number[]): string {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return fmt(lo) === fmt(hi) ? fmt(lo) : `${fmt(lo)}–${fmt(hi)}`;
}

function fmt(x: number): string {
  return x.toFixed(2).replace('-', '−');
}
