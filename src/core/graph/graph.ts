import { create } from '@bufbuild/protobuf';
import { SubcloneError } from '../errors';
import { DataType } from '../onnx/dataType';
import type { OnnxModel } from '../onnx/onnxModel';
import {
  TensorProtoSchema,
  type GraphProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from '../onnx/proto';
import { bytesToFloat32, bytesToNumbers } from '../onnx/tensorValues';
import { tensorWithBytes } from '../onnx/tensorEdit';
import { findAttribute, nodeLabel } from './attributes';
import { quote } from '../quote';

/** One use of a value: input `index` of `node` (index -1: an implicit use inside one of its subgraphs). */
export interface Use {
  node: NodeProto;
  index: number;
}

interface Index {
  producer: Map<string, NodeProto>;
  consumers: Map<string, Use[]>;
  initializers: Map<string, TensorProto>;
  inputs: Set<string>;
  outputs: Set<string>;
}

/**
 * The graph of a model with producer/consumer indexes and the edits passes need. The indexes are rebuilt lazily:
 * methods here keep them right; after editing the proto directly, call invalidate().
 */
export class Graph {
  private index: Index | undefined;
  private nameCounter = 0;

  constructor(readonly model: OnnxModel) {}

  get proto(): GraphProto {
    return this.model.graph;
  }

  get nodes(): NodeProto[] {
    return this.proto.node;
  }

  invalidate(): void {
    this.index = undefined;
  }

  private get idx(): Index {
    if (this.index) return this.index;
    const producer = new Map<string, NodeProto>();
    const consumers = new Map<string, Use[]>();
    const use = (name: string, u: Use) => {
      if (!name) return;
      let list = consumers.get(name);
      if (!list) consumers.set(name, (list = []));
      list.push(u);
    };
    for (const node of this.proto.node) {
      node.input.forEach((name, index) => use(name, { node, index }));
      for (const name of subgraphInputs(node)) use(name, { node, index: -1 });
      for (const out of node.output) if (out) producer.set(out, node);
    }
    this.index = {
      producer,
      consumers,
      initializers: new Map(this.proto.initializer.map((t) => [t.name, t])),
      inputs: new Set(this.proto.input.map((v) => v.name)),
      outputs: new Set(this.proto.output.map((v) => v.name)),
    };
    return this.index;
  }

  producer(value: string): NodeProto | undefined {
    return this.idx.producer.get(value);
  }

  consumers(value: string): readonly Use[] {
    return this.idx.consumers.get(value) ?? [];
  }

  initializer(name: string): TensorProto | undefined {
    return this.idx.initializers.get(name);
  }

  isGraphOutput(name: string): boolean {
    return this.idx.outputs.has(name);
  }

  isGraphInput(name: string): boolean {
    return this.idx.inputs.has(name);
  }

  /** The model's real inputs: graph inputs that are not initializers (keep_initializers_as_inputs lists both). */
  get realInputs(): ValueInfoProto[] {
    return this.proto.input.filter((v) => !this.idx.initializers.has(v.name));
  }

  /** The constant tensor behind a value: an initializer or a Constant node's output; undefined otherwise. */
  constantTensor(name: string): TensorProto | undefined {
    const init = this.initializer(name);
    if (init) return init;
    const node = this.producer(name);
    if (node && node.opType === 'Constant' && isDefaultDomain(node)) return constantNodeTensor(node);
    return undefined;
  }

  /** A constant's values as numbers (for shape plumbing and small constants). */
  constantNumbers(name: string): number[] | undefined {
    const t = this.constantTensor(name);
    return t ? bytesToNumbers(t.dataType, this.model.tensorBytes(t), name) : undefined;
  }

  /** A float constant's values. */
  constantFloats(name: string): Float32Array | undefined {
    const t = this.constantTensor(name);
    return t ? bytesToFloat32(t.dataType, this.model.tensorBytes(t), name) : undefined;
  }

  /** A name no value, node or initializer uses yet, derived from `base`. */
  uniqueName(base: string): string {
    const taken = (n: string) => this.idx.producer.has(n) || this.idx.consumers.has(n) || this.idx.initializers.has(n) || this.idx.inputs.has(n);
    let name = base;
    while (taken(name)) name = `${base}_${++this.nameCounter}`;
    return name;
  }

  addInitializer(t: TensorProto): void {
    if (this.idx.initializers.has(t.name)) throw new SubcloneError('BadModel', `initializer ${quote(t.name)} already exists`);
    this.proto.initializer.push(t);
    this.idx.initializers.set(t.name, t);
  }

  /** Replaces an initializer's content (same name) in place in the initializer list. */
  replaceInitializer(t: TensorProto): void {
    const i = this.proto.initializer.findIndex((x) => x.name === t.name);
    if (i < 0) throw new SubcloneError('BadModel', `no initializer named ${quote(t.name)}`);
    this.proto.initializer[i] = t;
    this.idx.initializers.set(t.name, t);
  }

  /** Points input `index` of `node` at another value (the indexes follow). */
  setInput(node: NodeProto, index: number, value: string): void {
    const old = node.input[index];
    node.input[index] = value;
    if (!this.index) return;
    const uses = this.index.consumers.get(old);
    if (uses) this.index.consumers.set(old, uses.filter((u) => !(u.node === node && u.index === index)));
    if (value) {
      let list = this.index.consumers.get(value);
      if (!list) this.index.consumers.set(value, (list = []));
      list.push({ node, index });
    }
  }

  /** Removes nodes from the graph (the indexes follow). */
  removeNodes(nodes: ReadonlySet<NodeProto>): void {
    if (!nodes.size) return;
    this.proto.node = this.proto.node.filter((n) => !nodes.has(n));
    if (!this.index) return;
    for (const n of nodes) {
      for (const o of n.output) if (this.index.producer.get(o) === n) this.index.producer.delete(o);
      for (const v of new Set([...n.input, ...subgraphInputs(n)])) {
        const uses = this.index.consumers.get(v);
        if (uses) this.index.consumers.set(v, uses.filter((u) => u.node !== n));
      }
    }
  }

  /** Redirects every node input that reads `from` to `to` (graph outputs keep their names). */
  replaceAllUses(from: string, to: string): void {
    for (const u of [...this.consumers(from)]) if (u.index >= 0) u.node.input[u.index] = to;
    this.invalidate();
  }

  /**
   * Makes the constant feeding `node.input[index]` private to that use, cloning it under a fresh name when other
   * nodes (or the graph outputs) share it, so it can be edited safely. Returns the private tensor (an initializer).
   */
  privateConstant(node: NodeProto, index: number): TensorProto {
    const name = node.input[index];
    const t = this.constantTensor(name);
    if (!t) throw new SubcloneError('BadModel', `input ${index} of ${nodeLabel(node)} (${quote(name)}) is not a constant`);
    const shared = this.consumers(name).length > 1 || this.isGraphOutput(name) || this.producer(name) !== undefined;
    if (!shared && this.initializer(name)) return t;
    const copy = tensorWithBytes(t, this.model.tensorBytes(t), { name: this.uniqueName(`${name}_${node.name || node.opType}`) });
    this.addInitializer(copy);
    this.setInput(node, index, copy.name);
    return copy;
  }

  /**
   * Sorts nodes so every node follows the producers of its inputs (stable: keeps the original order where it is
   * already valid). Throws on a cycle.
   */
  toposort(): void {
    const nodes = this.proto.node;
    const available = new Set<string>([...this.proto.input.map((v) => v.name), ...this.proto.initializer.map((t) => t.name), '']);
    const pendingCount = new Map<NodeProto, number>();
    const waiting = new Map<string, NodeProto[]>();
    const ready: NodeProto[] = [];
    const order = new Map(nodes.map((n, i) => [n, i]));
    for (const node of nodes) {
      const missing = new Set([...node.input, ...subgraphInputs(node)].filter((n) => !available.has(n) && this.producer(n)));
      pendingCount.set(node, missing.size);
      for (const m of missing) {
        let list = waiting.get(m);
        if (!list) waiting.set(m, (list = []));
        list.push(node);
      }
      if (missing.size === 0) ready.push(node);
    }
    const sorted: NodeProto[] = [];
    const heap = new MinHeap<NodeProto>((a, b) => order.get(a)! - order.get(b)!);
    ready.forEach((n) => heap.push(n));
    while (heap.size) {
      const node = heap.pop()!;
      sorted.push(node);
      for (const out of node.output) {
        for (const w of waiting.get(out) ?? []) {
          const left = pendingCount.get(w)! - 1;
          pendingCount.set(w, left);
          if (left === 0) heap.push(w);
        }
        waiting.delete(out);
      }
    }
    if (sorted.length !== nodes.length) {
      const stuck = nodes.find((n) => !sorted.includes(n))!;
      throw new SubcloneError('BadModel', `the graph has a cycle through ${nodeLabel(stuck)}`);
    }
    this.proto.node = sorted;
    this.invalidate();
  }

  /** Removes nodes whose outputs reach no graph output. Returns how many were removed. */
  removeDeadNodes(): number {
    const live = new Set<NodeProto>();
    const stack = this.proto.output.map((o) => o.name);
    const seen = new Set<string>();
    while (stack.length) {
      const value = stack.pop()!;
      if (seen.has(value)) continue;
      seen.add(value);
      const node = this.producer(value);
      if (!node || live.has(node)) continue;
      live.add(node);
      stack.push(...node.input.filter(Boolean), ...subgraphInputs(node));
    }
    const before = this.proto.node.length;
    this.proto.node = this.proto.node.filter((n) => live.has(n));
    this.invalidate();
    return before - this.proto.node.length;
  }

  /** Removes initializers no node uses (and their graph-input entries). Returns how many were removed. */
  removeDeadInitializers(): number {
    const used = (name: string) => this.consumers(name).length > 0 || this.isGraphOutput(name);
    const before = this.proto.initializer.length;
    const dead = new Set(this.proto.initializer.filter((t) => !used(t.name)).map((t) => t.name));
    this.proto.initializer = this.proto.initializer.filter((t) => !dead.has(t.name));
    this.proto.input = this.proto.input.filter((v) => !dead.has(v.name));
    this.proto.valueInfo = this.proto.valueInfo.filter((v) => !dead.has(v.name));
    this.invalidate();
    return before - this.proto.initializer.length;
  }

  /** Dead nodes, then dead initializers, then stale value_info entries. */
  cleanup(): void {
    this.removeDeadNodes();
    this.removeDeadInitializers();
    const known = new Set<string>(this.proto.node.flatMap((n) => n.output));
    this.proto.valueInfo = this.proto.valueInfo.filter((v) => known.has(v.name));
    this.invalidate();
  }

  /**
   * Checks the graph is well formed: every node input is defined before use, every value has one producer, every
   * graph output is produced. Throws BadModel naming the first problem.
   */
  validate(): void {
    const defined = new Set<string>([...this.proto.input.map((v) => v.name), ...this.proto.initializer.map((t) => t.name), '']);
    for (const node of this.proto.node) {
      for (const input of node.input) {
        if (!defined.has(input)) {
          throw new SubcloneError('BadModel', `${nodeLabel(node)} reads ${quote(input)}, which nothing before it defines`);
        }
      }
      for (const out of node.output) {
        if (!out) continue;
        if (defined.has(out)) throw new SubcloneError('BadModel', `value ${quote(out)} is defined twice (again by ${nodeLabel(node)})`);
        defined.add(out);
      }
    }
    for (const o of this.proto.output) {
      if (!defined.has(o.name)) throw new SubcloneError('BadModel', `graph output ${quote(o.name)} is not produced`);
    }
  }
}

/** Outer-scope values a node's subgraphs (If/Loop/Scan bodies) read. */
export function subgraphInputs(node: NodeProto): string[] {
  const out: string[] = [];
  for (const a of node.attribute) {
    for (const g of a.g ? [a.g, ...a.graphs] : a.graphs) {
      const local = new Set<string>([...g.input.map((v) => v.name), ...g.initializer.map((t) => t.name)]);
      for (const n of g.node) for (const o of n.output) local.add(o);
      for (const n of g.node) {
        for (const i of [...n.input, ...subgraphInputs(n)]) if (i && !local.has(i)) out.push(i);
      }
      for (const o of g.output) if (!local.has(o.name)) out.push(o.name);
    }
  }
  return out;
}

export function isDefaultDomain(node: NodeProto): boolean {
  return node.domain === '' || node.domain === 'ai.onnx';
}

/** A Constant node's value as a TensorProto, whichever attribute holds it. */
export function constantNodeTensor(node: NodeProto): TensorProto | undefined {
  const name = node.output[0];
  const t = findAttribute(node, 'value')?.t;
  if (t) return t.name === name ? t : { ...t, name };
  const f = findAttribute(node, 'value_float');
  if (f) return create(TensorProtoSchema, { name, dataType: DataType.FLOAT, dims: [], floatData: [f.f] });
  const fs = findAttribute(node, 'value_floats');
  if (fs) return create(TensorProtoSchema, { name, dataType: DataType.FLOAT, dims: [BigInt(fs.floats.length)], floatData: [...fs.floats] });
  const i = findAttribute(node, 'value_int');
  if (i) return create(TensorProtoSchema, { name, dataType: DataType.INT64, dims: [], int64Data: [i.i] });
  const is = findAttribute(node, 'value_ints');
  if (is) return create(TensorProtoSchema, { name, dataType: DataType.INT64, dims: [BigInt(is.ints.length)], int64Data: [...is.ints] });
  return undefined;
}

/** A small binary heap, for a stable topological sort. */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => number) {}
  get size(): number {
    return this.items.length;
  }
  push(x: T): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.less(a[i], a[p]) >= 0) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    if (!a.length) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l], a[m]) < 0) m = l;
        if (r < a.length && this.less(a[r], a[m]) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}
