import { nodeLabel, opLabel } from '../graph/attributes';
import type { Graph } from '../graph/graph';
import type { ProbedValue } from '../graph/probe';
import { tensorDims } from '../onnx/tensorValues';
import type { NodeProto } from '../onnx/proto';
import type { AxisExpr } from './couplingTypes';
import { Atom, AtomTable } from './atoms';
import { AXIS_RULES, type AxisContext } from './axisRules';

/**
 * The dependency analysis over tensor axes: every axis of every value gets an atom, and each node's rule says
 * which input axes are output axes, how axes split, merge and concatenate. Afterwards `classOf` tells which axes
 * carry the same dimension everywhere in the graph, and `expr` describes an axis in terms of chosen atoms.
 * Precondition: the graph is topologically sorted; `probed` holds the shapes of a real run.
 */
export class AxisAnalysis {
  readonly table = new AtomTable();
  private readonly axesByValue = new Map<string, Atom[]>();
  /** Nodes without a rule, by op type (their axes are locked). */
  readonly unknownOps = new Map<string, string>();

  constructor(
    readonly graph: Graph,
    readonly probed: Map<string, ProbedValue>,
    readonly opset: number,
  ) {}

  run(): this {
    for (const node of this.graph.nodes) this.apply(node);
    return this;
  }

  /** The atoms of a value's axes, created on first use from its probed (or stored) shape. */
  axes(value: string): Atom[] {
    if (!value) return [];
    let atoms = this.axesByValue.get(value);
    if (!atoms) {
      atoms = this.dims(value).map((d) => this.table.fresh(d));
      this.axesByValue.set(value, atoms);
    }
    return atoms;
  }

  dims(value: string): number[] {
    const p = this.probed.get(value);
    if (p) return p.dims;
    if (this.graph.producer(value)?.opType === 'Identity') return this.dims(this.graph.producer(value)!.input[0]);
    const init = this.graph.constantTensor(value);
    if (init) return tensorDims(init);
    return [];
  }

  classOf(value: string, axis: number): Atom {
    const atoms = this.axes(value);
    const a = atoms[axis < 0 ? atoms.length + axis : axis];
    if (!a) throw new Error(`value ${value} has no axis ${axis}`);
    return this.table.find(a);
  }

  /** The leaf atoms an axis is made of, major to minor (products expanded, size-1 atoms dropped). */
  leaves(value: string, axis: number): Atom[] {
    return this.table.leaves([this.classOf(value, axis)], 'seq');
  }

  /** Describes an axis in terms of the given groups (atom class → group id). */
  expr(atom: Atom, groups: Map<Atom, string>): AxisExpr {
    const r = this.table.find(atom);
    const group = groups.get(r);
    if (group) return { group, size: r.size };
    if (r.def) {
      const parts = r.def.parts.map((p) => this.expr(p, groups));
      return r.def.kind === 'seq' ? { seq: parts } : { cat: parts };
    }
    return { fixed: r.size };
  }

  /** True when the expression mentions any group. */
  static mentionsGroup(e: AxisExpr): boolean {
    if ('group' in e) return true;
    if ('seq' in e) return e.seq.some(AxisAnalysis.mentionsGroup);
    if ('cat' in e) return e.cat.some(AxisAnalysis.mentionsGroup);
    return false;
  }

  private apply(node: NodeProto): void {
    const label = nodeLabel(node);
    const ctx: AxisContext = {
      table: this.table,
      node,
      label,
      opset: this.opset,
      axes: (v) => this.axes(v),
      dims: (v) => this.dims(v),
      values: (v) => this.probed.get(v)?.values ?? this.constantValues(v),
      unify: (a, b) => this.table.unify(a, b, label),
      broadcast: (inputs, output) => this.broadcast(inputs, output, label),
      reshape: (input, output) => this.table.unifySequences(this.axes(input), this.axes(output), label),
      lockAll: (reason) => this.lockAll(node, `${label}: ${reason}`),
    };
    const domain = node.domain === 'ai.onnx' ? '' : node.domain;
    // A deduplicated weight read through Identity is a copy: its uses stay independent.
    if (domain === '' && node.opType === 'Identity' && this.graph.initializer(node.input[0])) return;
    const rule = domain === '' ? AXIS_RULES.get(node.opType) : undefined;
    if (rule) {
      rule(ctx);
      return;
    }
    const what = domain ? `${domain}.${node.opType}` : node.opType;
    this.unknownOps.set(what, label);
    this.lockAll(node, `${label}: no coupling rule for ${opLabel(node)}`);
  }

  private constantValues(value: string): number[] | undefined {
    const t = this.graph.constantTensor(value);
    if (!t || tensorDims(t).reduce((a, b) => a * b, 1) > 64) return undefined;
    return this.graph.constantNumbers(value);
  }

  private broadcast(inputs: string[], output: string, why: string): void {
    const y = this.axes(output);
    for (const input of inputs) {
      const x = this.axes(input);
      for (let i = 1; i <= x.length; i++) {
        const xa = x[x.length - i];
        const ya = y[y.length - i];
        if (ya && xa.size === ya.size && xa.size > 1) this.table.unify(xa, ya, why);
      }
    }
  }

  private lockAll(node: NodeProto, reason: string): void {
    for (const v of [...node.input, ...node.output]) for (const a of this.axes(v)) this.table.lock(a, reason);
  }
}
