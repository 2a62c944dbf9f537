import type { Poly } from './couplingTypes';

/** Polynomials over group sizes with integer coefficients: the values baked shape constants must take. */

type Factors = Record<string, number>;

function key(f: Factors): string {
  return Object.keys(f).sort().map((k) => `${k}^${f[k]}`).join('*');
}

function normalize(terms: Poly['terms']): Poly {
  const byKey = new Map<string, { coeff: number; factors: Factors }>();
  for (const t of terms) {
    const factors = Object.fromEntries(Object.entries(t.factors).filter(([, e]) => e !== 0));
    const k = key(factors);
    const prev = byKey.get(k);
    if (prev) prev.coeff += t.coeff;
    else byKey.set(k, { coeff: t.coeff, factors });
  }
  return { terms: [...byKey.values()].filter((t) => t.coeff !== 0) };
}

export const polyConst = (c: number): Poly => normalize([{ coeff: c, factors: {} }]);
export const polyVar = (group: string): Poly => ({ terms: [{ coeff: 1, factors: { [group]: 1 } }] });

export function polyAdd(a: Poly, b: Poly): Poly {
  return normalize([...a.terms, ...b.terms]);
}

export function polySub(a: Poly, b: Poly): Poly {
  return normalize([...a.terms, ...b.terms.map((t) => ({ ...t, coeff: -t.coeff }))]);
}

export function polyMul(a: Poly, b: Poly): Poly {
  const out: Poly['terms'] = [];
  for (const x of a.terms) {
    for (const y of b.terms) {
      const factors: Factors = { ...x.factors };
      for (const [g, e] of Object.entries(y.factors)) factors[g] = (factors[g] ?? 0) + e;
      out.push({ coeff: x.coeff * y.coeff, factors });
    }
  }
  return normalize(out);
}

/** Exact division by a single-term polynomial; undefined when it does not divide. */
export function polyDiv(a: Poly, b: Poly): Poly | undefined {
  if (b.terms.length !== 1) return undefined;
  const d = b.terms[0];
  const out: Poly['terms'] = [];
  for (const t of a.terms) {
    const coeff = t.coeff / d.coeff;
    if (!Number.isInteger(coeff)) return undefined;
    const factors: Factors = { ...t.factors };
    for (const [g, e] of Object.entries(d.factors)) {
      factors[g] = (factors[g] ?? 0) - e;
      if (factors[g] < 0) return undefined;
    }
    out.push({ coeff, factors });
  }
  return normalize(out);
}

export function hasVars(p: Poly): boolean {
  return p.terms.some((t) => Object.keys(t.factors).length > 0);
}

export function constValue(p: Poly): number | undefined {
  if (hasVars(p)) return undefined;
  return p.terms.reduce((s, t) => s + t.coeff, 0);
}

/** The polynomial's value for the given group sizes (groups not listed keep `fallback` sizes). */
export function evalPoly(p: Poly, sizes: Record<string, number>): number {
  let total = 0;
  for (const t of p.terms) {
    let v = t.coeff;
    for (const [g, e] of Object.entries(t.factors)) {
      const s = sizes[g];
      if (s === undefined) throw new Error(`no size for group ${g}`);
      v *= s ** e;
    }
    total += v;
  }
  return total;
}

export function polyGroups(p: Poly): string[] {
  return [...new Set(p.terms.flatMap((t) => Object.keys(t.factors)))];
}

export function polyToString(p: Poly): string {
  if (!p.terms.length) return '0';
  return p.terms
    .map((t) => [t.coeff !== 1 || !Object.keys(t.factors).length ? String(t.coeff) : '', ...Object.entries(t.factors).map(([g, e]) => (e === 1 ? g : `${g}^${e}`))].filter(Boolean).join('·'))
    .join(' + ');
}
