/**
 * Axis atoms: the unknowns of the coupling analysis. Every tensor axis starts as an atom of its size; ops equate
 * atoms (union-find) and may refine one into a product (`seq`, row-major) or a concatenation (`cat`) of smaller
 * atoms — a Reshape splits 64 into 4×16, a Split cuts 192 into 64+64+64. When two descriptions of one axis cannot
 * be reconciled (an op that mixes positions in a way no permutation survives), the atoms involved are locked with
 * the reason, and no group may contain them.
 */
export interface AtomDef {
  kind: 'seq' | 'cat';
  parts: Atom[];
}

export class Atom {
  parent: Atom = this;
  rank = 0;
  /** Refinement (kept on class roots only). */
  def: AtomDef | undefined;
  /** Why this atom's positions cannot be permuted freely (kept on class roots only). */
  lock: string | undefined;

  constructor(
    readonly id: number,
    readonly size: number,
  ) {}
}

export class AtomTable {
  private count = 0;

  fresh(size: number): Atom {
    return new Atom(this.count++, size);
  }

  find(a: Atom): Atom {
    let r = a;
    while (r.parent !== r) r = r.parent;
    let x = a;
    while (x.parent !== r) {
      const next = x.parent;
      x.parent = r;
      x = next;
    }
    return r;
  }

  /** A new atom defined as the concatenation of `parts` (sizes add up). */
  catOf(parts: Atom[]): Atom {
    const live = parts.filter((p) => p.size > 0);
    if (live.length === 1) return live[0];
    const a = this.fresh(live.reduce((n, p) => n + p.size, 0));
    a.def = { kind: 'cat', parts: live };
    return a;
  }

  /** A new atom defined as the row-major product of `parts`. */
  seqOf(parts: Atom[]): Atom {
    const live = parts.filter((p) => p.size !== 1);
    if (live.length === 1) return live[0];
    const a = this.fresh(live.reduce((n, p) => n * p.size, 1));
    a.def = { kind: 'seq', parts: live };
    return a;
  }

  /** Locks an atom and everything it is made of. */
  lock(a: Atom, reason: string): void {
    const r = this.find(a);
    r.lock ??= reason;
    if (r.def) for (const p of r.def.parts) if (this.find(p) !== r) this.lock(p, reason);
  }

  /** Declares that two atoms are the same axis. */
  unify(a: Atom, b: Atom, why: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    if (ra.size !== rb.size) {
      this.lock(ra, `${why}: sizes ${ra.size} and ${rb.size} disagree`);
      this.lock(rb, `${why}: sizes ${ra.size} and ${rb.size} disagree`);
      return;
    }
    const [root, child] = ra.rank >= rb.rank ? [ra, rb] : [rb, ra];
    if (ra.rank === rb.rank) root.rank++;
    child.parent = root;
    const defs = [root.def, child.def].filter((d): d is AtomDef => !!d);
    const lock = root.lock ?? child.lock;
    root.def = defs[0];
    child.def = undefined;
    child.lock = undefined;
    if (lock) this.lock(root, lock);
    if (defs.length === 2) this.unifyDefs(defs[0], defs[1], why);
  }

  /** Equates two row-major sequences of atoms with equal total size, refining atoms where sizes split. */
  unifySequences(xs: Atom[], ys: Atom[], why: string): void {
    this.align(xs, ys, 'seq', why);
  }

  /**
   * Walks two descriptions of one axis (both products or both concatenations) part by part, equating parts of
   * equal size and splitting an undefined larger part at the smaller one's size (a product only when it divides).
   * Parts that cannot be reconciled are locked.
   */
  private align(xs: Atom[], ys: Atom[], kind: 'seq' | 'cat', why: string): void {
    const a = this.leaves(xs, kind);
    const b = this.leaves(ys, kind);
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      const x = this.find(a[i]);
      const y = this.find(b[j]);
      if (x.size === y.size) {
        this.unify(x, y, why);
        i++;
        j++;
        continue;
      }
      const [big, small, inA] = x.size > y.size ? [x, y, true] : [y, x, false];
      if (big.def || (kind === 'seq' && big.size % small.size !== 0)) {
        const reason = kind === 'seq' ? `${why}: ${big.size} cannot be split as ${small.size}×…` : `${why}: concatenated parts do not line up`;
        this.lock(big, reason);
        this.lock(small, reason);
        return;
      }
      const rest = kind === 'seq' ? big.size / small.size : big.size - small.size;
      (inA ? a : b).splice(inA ? i : j, 1, ...this.refine(big, kind, [small.size, rest]));
    }
    if (kind === 'seq' && (i < a.length || j < b.length)) {
      for (const r of [...a.slice(i), ...b.slice(j)]) this.lock(r, `${why}: leftover axis`);
    }
  }

  /** The atoms a sequence is made of, with product (or concatenation) definitions expanded and size-1 atoms dropped. */
  leaves(atoms: Atom[], kind: 'seq' | 'cat'): Atom[] {
    const out: Atom[] = [];
    const visit = (a: Atom) => {
      const r = this.find(a);
      if (r.size === 1 && kind === 'seq') return;
      if (r.size === 0) return;
      if (r.def?.kind === kind) r.def.parts.forEach(visit);
      else out.push(r);
    };
    atoms.forEach(visit);
    return out;
  }

  /** Splits an undefined atom into fresh parts of the given sizes. */
  refine(a: Atom, kind: 'seq' | 'cat', sizes: number[]): Atom[] {
    const r = this.find(a);
    if (r.def) throw new Error(`atom ${r.id} is already refined`);
    const parts = sizes.map((s) => this.fresh(s));
    r.def = { kind, parts };
    if (r.lock) for (const p of parts) this.lock(p, r.lock);
    return parts;
  }

  private unifyDefs(d1: AtomDef, d2: AtomDef, why: string): void {
    if (d1.kind === d2.kind) {
      this.align(d1.parts, d2.parts, d1.kind, why);
    } else {
      const reason = `${why}: an axis is both split into parts and reshaped`;
      for (const p of [...d1.parts, ...d2.parts]) this.lock(p, reason);
    }
  }
}
