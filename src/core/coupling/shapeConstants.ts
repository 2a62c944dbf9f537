import { SubcloneError } from '../errors';
import { attrInt, nodeLabel } from '../graph/attributes';
import type { NodeProto } from '../onnx/proto';
import type { ConstantMember, Poly, ShapeConstraint } from './couplingTypes';
import type { Atom } from './atoms';
import type { AxisAnalysis } from './axisAnalysis';
import { constValue, hasVars, polyAdd, polyConst, polyDiv, polyMul, polySub, polyToString, polyVar } from './poly';
import { quote } from '../quote';

/**
 * Finds the numbers baked into constants that must follow group sizes: for each op whose static inputs define a
 * shape (Reshape targets, Expand shapes, Split sizes, Slice bounds, ConstantOfShape), the required value of each
 * element is known from the axis analysis; it is traced back through the shape plumbing (Concat, Gather, Unsqueeze,
 * Where, Mul/Div/Add/Sub with shape-derived values) to the constant it comes from. Elements computed from Shape
 * need no rewrite. Throws Unsupported when a required value cannot be traced.
 */
export function findShapeConstants(analysis: AxisAnalysis, groupOf: Map<Atom, string>): { constants: ConstantMember[]; constraints: ShapeConstraint[] } {
  const finder = new ShapeConstantFinder(analysis, groupOf);
  return { constants: finder.run(), constraints: finder.constraints };
}

class ShapeConstantFinder {
  private readonly found = new Map<string, ConstantMember>();
  private readonly fwdMemo = new Map<string, Poly>();
  readonly constraints: ShapeConstraint[] = [];

  constructor(
    private readonly analysis: AxisAnalysis,
    private readonly groupOf: Map<Atom, string>,
  ) {}

  private get graph() {
    return this.analysis.graph;
  }

  run(): ConstantMember[] {
    for (const node of this.graph.nodes) this.visit(node);
    return [...this.found.values()];
  }

  /** The size of an axis class as a polynomial in the groups. */
  sizePoly(atom: Atom): Poly {
    const r = this.analysis.table.find(atom);
    const group = this.groupOf.get(r);
    if (group) return polyVar(group);
    if (r.def?.kind === 'seq') return r.def.parts.reduce((p, a) => polyMul(p, this.sizePoly(a)), polyConst(1));
    if (r.def?.kind === 'cat') return r.def.parts.reduce((p, a) => polyAdd(p, this.sizePoly(a)), polyConst(0));
    return polyConst(r.size);
  }

  private values(v: string): number[] | undefined {
    return this.analysis.probed.get(v)?.values ?? (this.graph.constantTensor(v) ? this.graph.constantNumbers(v) : undefined);
  }

  private visit(node: NodeProto): void {
    const out = node.output[0];
    switch (node.opType) {
      case 'Reshape': {
        const target = this.values(node.input[1]);
        this.analysis.axes(out).forEach((a, k) => {
          if (target && (target[k] === -1 || target[k] === 0)) return;
          this.require(node, 1, k, this.sizePoly(a));
        });
        return;
      }
      case 'Expand': {
        const shape = this.values(node.input[1]);
        const axes = this.analysis.axes(out);
        if (!shape) return;
        shape.forEach((v, k) => {
          if (v === 1) return;
          this.require(node, 1, k, this.sizePoly(axes[k + axes.length - shape.length]));
        });
        return;
      }
      case 'ConstantOfShape':
        this.analysis.axes(out).forEach((a, k) => this.require(node, 0, k, this.sizePoly(a)));
        return;
      case 'Split':
        if (node.input[1]) {
          const axis = this.axisOf(node, this.analysis.axes(node.input[0]).length);
          node.output.forEach((o, k) => o && this.require(node, 1, k, this.sizePoly(this.analysis.axes(o)[axis])));
        }
        return;
      case 'Slice':
        this.visitSlice(node);
        return;
      default:
        return;
    }
  }

  private axisOf(node: NodeProto, rank: number): number {
    const a = attrInt(node, 'axis', 0);
    return a < 0 ? a + rank : a;
  }

  private visitSlice(node: NodeProto): void {
    const data = this.analysis.axes(node.input[0]);
    const outAxes = this.analysis.axes(node.output[0]);
    const starts = this.values(node.input[1]);
    const ends = this.values(node.input[2]);
    if (!starts || !ends) return;
    const axes = (node.input[3] ? this.values(node.input[3]) : undefined) ?? starts.map((_, i) => i);
    axes.forEach((rawAxis, i) => {
      const axis = rawAxis < 0 ? rawAxis + data.length : rawAxis;
      const full = this.sizePoly(data[axis]);
      const part = this.sizePoly(outAxes[axis]);
      if (!hasVars(full) && !hasVars(part)) return;
      const size = data[axis].size;
      if (starts[i] === 0 && ends[i] >= size) return;
      const offset = this.offsetOf(data[axis], outAxes[axis]);
      if (!offset) {
        throw new SubcloneError('Unsupported', `${nodeLabel(node)} slices a coupled axis at a position Subclone cannot follow`);
      }
      this.require(node, 1, i, starts[i] < 0 ? polySub(offset, full) : offset);
      const end = polyAdd(offset, part);
      if (ends[i] >= size && constValue(polySub(full, end)) === 0) return; // "to the end" stays right
      this.require(node, 2, i, ends[i] < 0 ? polySub(end, full) : end);
    });
  }

  /** Where `target` starts inside the concatenation `container`, as a polynomial. */
  private offsetOf(container: Atom, target: Atom): Poly | undefined {
    const t = this.analysis.table;
    const c = t.find(container);
    if (c === t.find(target)) return polyConst(0);
    if (c.def?.kind !== 'cat') return undefined;
    let acc = polyConst(0);
    for (const p of c.def.parts) {
      const inner = this.offsetOf(p, target);
      if (inner) return polyAdd(acc, inner);
      acc = polyAdd(acc, this.sizePoly(p));
    }
    return undefined;
  }

  /** Input `input` of `consumer`, element `element`, must equal `value`. */
  private require(consumer: NodeProto, input: number, element: number, value: Poly): void {
    if (!hasVars(value)) return;
    const v = consumer.input[input];
    if (!v) return;
    const p = this.graph.producer(v);
    if (this.graph.initializer(v) || (p && p.opType === 'Constant')) {
      const id = `${consumer.name}|${input}|${element}`;
      const prev = this.found.get(id);
      if (prev && polyToString(prev.value) !== polyToString(value)) {
        throw new SubcloneError('Unsupported', `the constant feeding ${nodeLabel(consumer)} must hold both ${polyToString(prev.value)} and ${polyToString(value)}`);
      }
      this.found.set(id, { node: consumer.name, input, element, value });
      return;
    }
    if (!p) throw new SubcloneError('Unsupported', `the shape value ${quote(v)} of ${nodeLabel(consumer)} comes from a graph input`);
    const fail = (): never => {
      throw new SubcloneError('Unsupported', `cannot rewrite the shape computation at ${nodeLabel(p)} to ${polyToString(value)}`);
    };
    switch (p.opType) {
      case 'Shape': {
        // Read from another tensor's shape: right by construction when the two sizes stay equal.
        const derived = this.fwd(v, element);
        if (polyToString(derived) !== polyToString(value) && !this.constraints.some((c) => c.node === consumer.name)) {
          this.constraints.push({ left: derived, right: value, node: consumer.name });
        }
        return;
      }
      case 'Cast':
      case 'Identity':
      case 'Unsqueeze':
      case 'Squeeze':
      case 'Reshape':
      case 'Flatten':
        return this.require(p, 0, element, value);
      case 'Concat': {
        let offset = 0;
        for (let i = 0; i < p.input.length; i++) {
          const n = this.length(p.input[i]);
          if (element < offset + n) return this.require(p, i, element - offset, value);
          offset += n;
        }
        return fail();
      }
      case 'Gather': {
        const idx = this.values(p.input[1]);
        const n = this.length(p.input[0]);
        if (!idx) return fail();
        const i = idx.length === 1 ? idx[0] : idx[element];
        return this.require(p, 0, i < 0 ? i + n : i, value);
      }
      case 'Slice': {
        const starts = this.values(p.input[1]);
        const steps = p.input[4] ? this.values(p.input[4]) : [1];
        if (!starts || !steps) return fail();
        const n = this.length(p.input[0]);
        const s = starts[0] < 0 ? starts[0] + n : starts[0];
        return this.require(p, 0, s + element * steps[0], value);
      }
      case 'Where': {
        const cond = this.values(p.input[0]);
        if (!cond) return fail();
        const c = cond.length === 1 ? cond[0] : cond[element];
        const branch = c ? 1 : 2;
        return this.require(p, branch, this.length(p.input[branch]) === 1 ? 0 : element, value);
      }
      case 'Mul':
      case 'Div':
      case 'Add':
      case 'Sub':
        return this.requireArithmetic(p, element, value, fail);
      default:
        return fail();
    }
  }

  private requireArithmetic(p: NodeProto, element: number, value: Poly, fail: () => never): void {
    const [a, b] = p.input;
    const ea = this.length(a) === 1 ? 0 : element;
    const eb = this.length(b) === 1 ? 0 : element;
    const fa = this.fwd(a, ea);
    const fb = this.fwd(b, eb);
    // Solve for the side that is not derived from shapes (keep the shape-derived side as it is). A baked constant
    // is that side even when the other side's size is a plain number: a one-unit group (a single KV head) shows in
    // a shape as 1, so repeat_kv's KV · n_rep reads 1 · n_rep and n_rep must become the heads.
    const aBaked = this.isBaked(a);
    const bBaked = this.isBaked(b);
    const solveA = aBaked !== bBaked ? aBaked : hasVars(fb) || !hasVars(fa);
    let target: Poly | undefined;
    switch (p.opType) {
      case 'Mul':
        target = solveA ? polyDiv(value, fb) : polyDiv(value, fa);
        break;
      case 'Div':
        target = solveA ? polyMul(value, fb) : polyDiv(fa, value);
        break;
      case 'Add':
        target = solveA ? polySub(value, fb) : polySub(value, fa);
        break;
      case 'Sub':
        target = solveA ? polyAdd(value, fb) : polySub(fa, value);
        break;
    }
    if (!target) return fail();
    this.require(p, solveA ? 0 : 1, solveA ? ea : eb, target);
  }

  /** An initializer or a Constant node's output: a number baked into the file, which subcloning may rewrite. */
  private isBaked(v: string): boolean {
    return !!this.graph.initializer(v) || this.graph.producer(v)?.opType === 'Constant';
  }

  /** Element count of a small static vector. */
  private length(v: string): number {
    const dims = this.analysis.dims(v);
    return dims.reduce((a, b) => a * b, 1);
  }

  /** What an element of a static value is, as a polynomial: shape-derived elements carry group sizes. */
  private fwd(v: string, element: number): Poly {
    const memoKey = `${v}|${element}`;
    const hit = this.fwdMemo.get(memoKey);
    if (hit) return hit;
    const result = this.computeFwd(v, element);
    this.fwdMemo.set(memoKey, result);
    return result;
  }

  private computeFwd(v: string, element: number): Poly {
    const p = this.graph.producer(v);
    const probed = this.values(v);
    const fallback = polyConst(probed?.[probed.length === 1 ? 0 : element] ?? NaN);
    if (!p || this.graph.initializer(v)) return fallback;
    switch (p.opType) {
      case 'Shape': {
        const rank = this.analysis.axes(p.input[0]).length;
        let start = attrInt(p, 'start', 0);
        if (start < 0) start += rank;
        const axis = this.analysis.axes(p.input[0])[start + element];
        return axis ? this.sizePoly(axis) : fallback;
      }
      case 'Cast':
      case 'Identity':
      case 'Unsqueeze':
      case 'Squeeze':
      case 'Reshape':
        return this.fwd(p.input[0], element);
      case 'Concat': {
        let offset = 0;
        for (const input of p.input) {
          const n = this.length(input);
          if (element < offset + n) return this.fwd(input, element - offset);
          offset += n;
        }
        return fallback;
      }
      case 'Gather': {
        const idx = this.values(p.input[1]);
        if (!idx) return fallback;
        const i = idx.length === 1 ? idx[0] : idx[element];
        const n = this.length(p.input[0]);
        return this.fwd(p.input[0], i < 0 ? i + n : i);
      }
      case 'Mul':
      case 'Div':
      case 'Add':
      case 'Sub': {
        const [a, b] = p.input;
        const fa = this.fwd(a, this.length(a) === 1 ? 0 : element);
        const fb = this.fwd(b, this.length(b) === 1 ? 0 : element);
        const r =
          p.opType === 'Mul' ? polyMul(fa, fb) : p.opType === 'Add' ? polyAdd(fa, fb) : p.opType === 'Sub' ? polySub(fa, fb) : polyDiv(fa, fb);
        return r ?? fallback;
      }
      case 'Where': {
        const cond = this.values(p.input[0]);
        if (!cond) return fallback;
        const branch = (cond.length === 1 ? cond[0] : cond[element]) ? 1 : 2;
        return this.fwd(p.input[branch], this.length(p.input[branch]) === 1 ? 0 : element);
      }
      default:
        return fallback;
    }
  }
}
