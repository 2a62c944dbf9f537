/** Numbers and words for the panel. DOM-free. */
import type { ImportanceReport } from '../../src/protocol/importanceProtocol';

type CalibrationInfo = ImportanceReport['calibration'];

const MINUS = '\u2212';

/** "56.3%" (share in 0–1). */
export function formatPercent(share: number, digits = 1): string {
  return `${(share * 100).toFixed(digits)}%`;
}

/** Three significant digits; exponent form below 0.001 ("1.2e-4"). */
export function formatScore(v: number): string {
  if (!Number.isFinite(v)) return '—';
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(1).replace('-', MINUS);
  return signed(Number(v.toPrecision(3)).toString());
}

/** "0.79", "−0.05": a correlation. */
export function formatRho(v: number): string {
  return signed(v.toFixed(2));
}

/** "8,192". */
export function formatInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** "6.4×". */
export function formatRatio(v: number): string {
  return `${v >= 10 ? v.toFixed(0) : v.toFixed(1)}×`;
}

/** "2026-12-02 19:13 UTC" from an ISO time (the same on every machine); the input when it is not a date. */
export function formatDate(iso: string): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  return `${t.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The last part of a path, for / and \ separators. */
export function baseName(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).pop() ?? path;
}

/** "1 neuron", "3 neurons". */
export function plural(n: number, word: string, words = `${word}s`): string {
  return `${formatInt(n)} ${n === 1 ? word : words}`;
}

/** "0–3, 5, 7–8": sorted indices with consecutive runs joined. */
export function formatIndexList(indices: readonly number[]): string {
  const sorted = [...indices].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j - i >= 2 ? `${sorted[i]}–${sorted[j]}` : sorted.slice(i, j + 1).join(', '));
    i = j + 1;
  }
  return parts.join(', ');
}

/** A residual-stream point: 0 is the embedding output, p is the stream after block p − 1. */
export function pointName(p: number): string {
  return p === 0 ? 'embedding output' : `after block ${p - 1}`;
}

/** The short row label of a point: "emb", "b0", "b1", …. */
export function pointShort(p: number): string {
  return p === 0 ? 'emb' : `b${p - 1}`;
}

/** Where the scores come from, in one line. */
export function describeCalibration(c: CalibrationInfo): string {
  switch (c.source) {
    case 'text': {
      const seq = c.sequenceLength ? ` × ${formatInt(c.sequenceLength)}` : '';
      const tok = c.tokenizer ? (c.tokenizer === 'bytes' ? 'byte tokens' : `tokenizer ${baseName(c.tokenizer)}`) : null;
      return [`text ${c.path ? baseName(c.path) : ''}`.trim(), `${plural(c.samples, 'sequence')}${seq} (${plural(c.tokens, 'token')})`, tok].filter(Boolean).join(' · ');
    }
    case 'images':
      return [`images ${c.path ? baseName(c.path) : ''}`.trim(), plural(c.samples, 'image'), `${plural(c.tokens, 'token')} counted`].join(' · ');
    case 'random':
      return `random inputs (seed ${c.seed}) · ${plural(c.samples, 'sample')} · ${plural(c.tokens, 'token')}`;
    case 'weights':
      return 'data-free: weight magnitudes, no calibration run';
    default:
      return String((c as { source: unknown }).source);
  }
}

function signed(text: string): string {
  return text.startsWith('-') ? MINUS + text.slice(1) : text;
}
