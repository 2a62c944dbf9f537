import * as path from 'node:path';
import { rankingOf } from './agreement';
import type { ImportanceReport } from './report';

/** The layer-agreement figures that test the paper's "same neurons in every layer" claim. */
export interface AgreementSummary {
  /** Spearman ρ between consecutive block outputs (null with one block). */
  adjacent: { mean: number; min: number; max: number } | null;
  /** ρ between the first and the last block's outputs (null with one block). */
  firstLast: number | null;
  /** ρ between the embedding output and the first block's output. */
  embeddingFirst: number;
  topK: number;
  /** Top-k overlap: mean over consecutive block outputs, first vs last block, and what chance gives (k/D). */
  adjacentOverlap: number | null;
  firstLastOverlap: number | null;
  chanceOverlap: number;
  verdict: string;
}

/** Point 0 is the embedding output; point b + 1 the output of block b. */
export function agreementSummary(r: ImportanceReport): AgreementSummary {
  const { spearman, topKOverlap, topK } = r.embedding.agreement;
  const L = spearman.length - 1;
  const adjacentPairs = Array.from({ length: Math.max(0, L - 1) }, (_, i) => [i + 1, i + 2] as const);
  const rhos = adjacentPairs.map(([a, b]) => spearman[a][b]);
  const overlaps = adjacentPairs.map(([a, b]) => topKOverlap[a][b]);
  const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
  const adjacent = rhos.length ? { mean: mean(rhos), min: Math.min(...rhos), max: Math.max(...rhos) } : null;
  const firstLast = L >= 2 ? spearman[1][L] : null;
  return {
    adjacent,
    firstLast,
    embeddingFirst: spearman[0][Math.min(1, L)],
    topK,
    adjacentOverlap: overlaps.length ? mean(overlaps) : null,
    firstLastOverlap: L >= 2 ? topKOverlap[1][L] : null,
    chanceOverlap: topK / r.model.dims.dModel,
    verdict: verdict(adjacent?.mean ?? null, firstLast),
  };
}

/** ρ ≥ 0.7 counts as "the same neurons dominate". */
function verdict(adjacent: number | null, firstLast: number | null): string {
  if (adjacent === null || firstLast === null) return 'one block: nothing to compare';
  if (adjacent >= 0.7 && firstLast >= 0.7) return 'the same neurons dominate every layer: the paper\'s one-ranking claim holds here';
  if (adjacent >= 0.7) return 'the same neurons dominate neighbouring layers but not the whole depth: the one-ranking claim holds only locally here';
  return 'different neurons dominate different layers: the one-ranking claim does not hold here';
}

/** A one-line summary (notifications, logs). */
export function oneLineSummary(r: ImportanceReport): string {
  const a = agreementSummary(r);
  const data = r.calibration.source === 'weights'
    ? 'data-free (weight magnitudes)'
    : `${r.calibration.tokens} ${r.calibration.source === 'images' ? 'image tokens' : 'tokens'} of ${r.calibration.path ? path.basename(r.calibration.path) : 'random inputs'}`;
  const agreement = a.adjacent && a.firstLast !== null ? ` · layer ρ adjacent ${fmt(a.adjacent.mean)}, first–last ${fmt(a.firstLast)}` : '';
  return `${data}${agreement} · top neurons ${r.embedding.ranking.slice(0, 5).join(', ')}${r.calibration.fallback ? ' (fallback scores)' : ''}`;
}

/** The CLI's summary: data, top neurons, layer agreement, and per block magnitudes, heads and FFN units. */
export function summaryLines(r: ImportanceReport, reportFile: string): string[] {
  const c = r.calibration;
  const d = r.model.dims;
  const lines = [`importance of ${r.model.file}: ${r.model.family}, ${d.layers} blocks, d_model ${d.dModel}`];
  if (c.source === 'weights') lines.push('scores: data-free, from weight magnitudes — a FALLBACK, not measured on data');
  else {
    const random = c.source === 'random' ? 'RANDOM ' : '';
    const what = c.sequenceLength === null ? `${c.samples} ${random}images` : `${c.samples} ${random}sequences × ${c.sequenceLength} tokens`;
    const from = c.path ? ` of ${path.basename(c.path)}` : '';
    lines.push(`calibration: ${what}${from} (${c.tokens} tokens counted${c.tokenizer ? `, tokenizer ${c.tokenizer === 'bytes' ? 'bytes' : path.basename(c.tokenizer)}` : ''}) on ${r.run.provider} in ${r.run.seconds.toFixed(1)} s`);
    if (c.fallback) lines.push('  warning: random inputs are a FALLBACK; scores on real data can differ');
  }
  const top = r.embedding.ranking.slice(0, 12).map((j) => `${j} (${r.embedding.scores[j].toFixed(3)})`);
  lines.push(`top embedding neurons (of ${d.dModel}, global score): ${top.join(', ')}`);
  const a = agreementSummary(r);
  lines.push(c.source === 'weights'
    ? 'layer agreement (per-block rankings of weight magnitudes; point 0 = embedding tables):'
    : 'layer agreement (per-layer neuron rankings; point 0 = embedding output):');
  if (a.adjacent && a.firstLast !== null) {
    lines.push(`  Spearman ρ: adjacent blocks mean ${fmt(a.adjacent.mean)} (${fmt(a.adjacent.min)} … ${fmt(a.adjacent.max)}), first vs last block ${fmt(a.firstLast)}, embedding output vs block 0 ${fmt(a.embeddingFirst)}`);
    lines.push(`  top-${a.topK} overlap: adjacent blocks ${fmt(a.adjacentOverlap!)}, first vs last block ${fmt(a.firstLastOverlap!)} (chance ${fmt(a.chanceOverlap)})`);
  }
  lines.push(`  → ${a.verdict}`);
  lines.push('block  ‖f(x)‖/‖x+f(x)‖  1−cos(x_in,x_out)  top heads  top FFN units');
  for (let b = 0; b < d.layers; b++) {
    const rel = r.blocks.relativeMagnitude[b];
    const omc = r.blocks.oneMinusCos[b];
    const heads = rankingOf(r.heads[b]).slice(0, 3).join(',');
    const ffn = rankingOf(r.ffn[b]).slice(0, 5).join(',');
    lines.push(`${String(b).padStart(5)}  ${(rel === undefined ? '-' : rel.toFixed(3)).padStart(15)}  ${(omc === undefined ? '-' : omc.toFixed(4)).padStart(17)}  ${heads.padEnd(9)}  ${ffn}`);
  }
  lines.push(`report: ${reportFile}`);
  return lines;
}

function fmt(x: number): string {
  return x.toFixed(2).replace('-', '−');
}
