/**
 * The Setup cell's fields as text (what the user types) and their parsing into SetupValues, with a message per
 * field that names it. DOM-free.
 */
import { sameLr } from '../../src/protocol/convergenceFormat';
import type { SetupValues } from '../../src/protocol/convergenceProtocol';
import { formatLr } from './format';

export interface SetupText {
  data: string;
  steps: string;
  batch: string;
  seq: string;
  evalEvery: string;
  lrs: string;
  randomLrs: string;
}

export type SetupField = keyof SetupText;

export const SETUP_FIELDS: readonly SetupField[] = ['data', 'steps', 'batch', 'seq', 'evalEvery', 'lrs', 'randomLrs'];

export const FIELD_LABELS: Record<SetupField, string> = {
  data: 'Data',
  steps: 'Steps',
  batch: 'Batch',
  seq: 'Sequence length',
  evalEvery: 'Evaluate every',
  lrs: 'Subclone learning rates',
  randomLrs: 'Random-init learning rates',
};

export interface FieldError {
  field: SetupField;
  message: string;
}

export type ParsedSetup = { ok: true; values: SetupValues } | { ok: false; errors: FieldError[] };

/** The fields' text for values (learning rates in the shortest exact exponent form: 7.5e-4, 3e-3). */
export function setupText(v: SetupValues): SetupText {
  return {
    data: v.data ?? '',
    steps: v.steps === null ? '' : String(v.steps),
    batch: String(v.batch),
    seq: String(v.seq),
    evalEvery: v.evalEvery === null ? '' : String(v.evalEvery),
    lrs: lrListText(v.lrs),
    randomLrs: lrListText(v.randomLrs),
  };
}

export function lrListText(lrs: readonly number[]): string {
  return lrs.map((lr) => lr.toExponential()).join(', ');
}

/** Parses every field; all the problems at once, in field order. */
export function parseSetup(text: SetupText): ParsedSetup {
  const errors: FieldError[] = [];
  const fail = (field: SetupField, message: string) => errors.push({ field, message: `${FIELD_LABELS[field]}: ${message}` });
  const data = text.data.trim();
  if (!data) fail('data', 'choose a text file or an image folder (Browse…).');
  const steps = optionalCount(text.steps, 'steps', fail);
  const batch = requiredCount(text.batch, 'batch', fail);
  const seq = requiredCount(text.seq, 'seq', fail);
  const evalEvery = optionalCount(text.evalEvery, 'evalEvery', fail);
  const lrs = parseLrList(text.lrs);
  if (!lrs.ok) fail('lrs', lrs.message);
  const randomLrs = parseLrList(text.randomLrs);
  if (!randomLrs.ok) fail('randomLrs', randomLrs.message);
  if (lrs.ok && randomLrs.ok && !lrs.lrs.length && !randomLrs.lrs.length) {
    errors.push({ field: 'lrs', message: 'Learning rates: give at least one, for the subclone or for random init.' });
  }
  if (errors.length || steps === undefined || batch === undefined || seq === undefined || evalEvery === undefined || !lrs.ok || !randomLrs.ok) {
    return { ok: false, errors };
  }
  return { ok: true, values: { data, steps, batch, seq, evalEvery, lrs: lrs.lrs, randomLrs: randomLrs.lrs } };
}

export type ParsedLrs = { ok: true; lrs: number[] } | { ok: false; message: string };

/** "7.5e-4, 1.5e-3 3e-3; 0.006": positive numbers separated by commas, spaces or semicolons, none twice. */
export function parseLrList(text: string): ParsedLrs {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  const lrs: number[] = [];
  for (const part of parts) {
    const lr = NUMBER.test(part) ? Number(part) : NaN;
    if (!Number.isFinite(lr)) return { ok: false, message: `“${part}” is not a number (write them like 7.5e-4, 1.5e-3, 3e-3).` };
    if (!(lr > 0)) return { ok: false, message: `learning rates must be positive, got ${part}.` };
    const twice = lrs.find((x) => sameLr(x, lr));
    if (twice !== undefined) return { ok: false, message: `${formatLr(lr)} is listed twice.` };
    lrs.push(lr);
  }
  return { ok: true, lrs };
}

/** A decimal number, optionally with an exponent (no hex, no Infinity, no trailing junk that Number() would allow). */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

type Fail = (field: SetupField, message: string) => void;

/** An empty field is null (auto); else a whole number ≥ 1. undefined when invalid (the error is reported). */
function optionalCount(raw: string, field: SetupField, fail: Fail): number | null | undefined {
  const t = raw.trim();
  if (!t) return null;
  return count(t, field, fail, ' (leave it empty for auto)');
}

function requiredCount(raw: string, field: SetupField, fail: Fail): number | undefined {
  const t = raw.trim();
  if (!t) {
    fail(field, 'required (a whole number of at least 1).');
    return undefined;
  }
  return count(t, field, fail, '');
}

function count(t: string, field: SetupField, fail: Fail, hint: string): number | undefined {
  const n = /^\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    fail(field, `“${t}” is not a whole number of at least 1${hint}.`);
    return undefined;
  }
  return n;
}

/** Whether two setups ask for the same sweep (learning rates as sets, up to rounding). */
export function sameSetup(a: SetupValues, b: SetupValues): boolean {
  const sameLrs = (x: number[], y: number[]) => x.length === y.length && x.every((lr) => y.some((o) => sameLr(o, lr)));
  return a.data === b.data && a.steps === b.steps && a.batch === b.batch && a.seq === b.seq && a.evalEvery === b.evalEvery && sameLrs(a.lrs, b.lrs) && sameLrs(a.randomLrs, b.randomLrs);
}
