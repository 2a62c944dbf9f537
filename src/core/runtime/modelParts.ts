import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { create } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { SubcloneError, errorMessage, throwIfAborted } from '../errors';
import { DataType, ortTypeName } from '../onnx/dataType';
import { OnnxModel } from '../onnx/onnxModel';
import { TypeProtoSchema, ValueInfoProtoSchema, type NodeProto, type ValueInfoProto } from '../onnx/proto';
import { collectGarbage } from './collectGarbage';
import { openModelSession } from './modelSession';
import type { SessionOptions } from './ortSession';
import type { Provider } from './executionProvider';

/** Models with more weight bytes than this are run in parts one after another (see runInParts). */
export const PARTS_ABOVE_BYTES = 128 * 1024 * 1024;

/** Bytes of all of a model's weights (in memory or in files). */
export function weightBytes(model: OnnxModel): number {
  return model.graph.initializer.reduce((n, t) => n + model.tensorByteLength(t), 0);
}

/** One part of a model cut at values every later node reads through (runInParts). */
export interface ModelPart {
  /** The part as a model; the values it reads from earlier parts are inputs typed as their runs gave them. */
  model(types: ReadonlyMap<string, ort.Tensor.Type>): OnnxModel;
  /** Values earlier parts computed that this part reads. */
  reads: string[];
  /** Values this part computes that later parts read, and the model's outputs it computes. */
  keeps: string[];
  /** The model's outputs this part computes. */
  outputs: string[];
  /** Bytes of the weights it reads (a weight two parts read counts in both). */
  weightBytes: number;
}

/**
 * Cuts `model` in two or three parts run one after another: at one of `candidates` (values in graph order, such
 * as the residual stream after each block), choosing the cut that best balances the weights each part reads; or,
 * when `first` is given (the embedding's output) and that lowers the largest part by a tenth, also at `first`, so
 * that an embedding table gathered from and an LM head are held by different parts. A tied table counts in each
 * part that reads it (the lookup of random tokens touches every row). Undefined when no cut is in the graph, the
 * last part would compute no output, or the graph has subgraphs (their outer-scope reads are not followed). Each
 * part shares the model's weight sources; close the models it makes.
 */
export function partitionModel(model: OnnxModel, candidates: readonly string[], first?: string): ModelPart[] | undefined {
  const graph = model.graph;
  if (graph.node.some((n) => n.attribute.some((a) => a.g || a.graphs.length))) return undefined;
  const bytes = new Map(graph.initializer.map((t) => [t.name, model.tensorByteLength(t)]));
  const { producer, ancestors } = indexes(model);
  const weightsOf = (nodes: Iterable<NodeProto>) => weightBytesOf(nodes, bytes);
  const everything = new Set(graph.node);
  const minus = (a: Set<NodeProto>, b: Set<NodeProto>) => new Set([...a].filter((n) => !b.has(n)));
  // Costs of the node sets between consecutive cuts (the last part approximated by all nodes after the last cut).
  const cost = (cuts: string[]) => {
    let done = new Set<NodeProto>();
    let worst = 0;
    for (const c of cuts) {
      const upTo = ancestors([c]);
      worst = Math.max(worst, weightsOf(minus(upTo, done)));
      done = upTo;
    }
    return Math.max(worst, weightsOf(minus(everything, done)));
  };
  const present = candidates.filter((c) => producer.has(c));
  if (!present.length) return undefined;
  let best = { cuts: [present[0]], cost: cost([present[0]]) };
  for (const c of present.slice(1)) {
    const k = cost([c]);
    if (k < best.cost) best = { cuts: [c], cost: k };
  }
  if (first && producer.has(first)) {
    for (const c of present.filter((x) => x !== first)) {
      const k = cost([first, c]);
      if (k < 0.9 * best.cost && (best.cuts.length === 1 || k < best.cost)) best = { cuts: [first, c], cost: k };
    }
  }
  return cutModel(model, best.cuts);
}

/**
 * `model` cut at `cuts` (values in graph order) into cuts.length + 1 parts: each cut's ancestors not in an earlier
 * part, with the model's outputs that need nothing downstream of it; the last part computes the other outputs.
 * Undefined when a cut is not in the graph, a part would be empty, the last would compute no output, or the graph
 * has subgraphs.
 */
export function cutModel(model: OnnxModel, cuts: readonly string[]): ModelPart[] | undefined {
  const graph = model.graph;
  if (graph.node.some((n) => n.attribute.some((a) => a.g || a.graphs.length))) return undefined;
  const bytes = new Map(graph.initializer.map((t) => [t.name, model.tensorByteLength(t)]));
  const { producer, consumers, ancestors } = indexes(model);
  if (cuts.some((c) => !producer.has(c))) return undefined;
  const descendants = (value: string) => {
    const out = new Set<NodeProto>();
    const stack = [...(consumers.get(value) ?? [])];
    while (stack.length) {
      const node = stack.pop()!;
      if (out.has(node)) continue;
      out.add(node);
      for (const o of node.output) stack.push(...(consumers.get(o) ?? []));
    }
    return out;
  };
  const sets: { nodes: Set<NodeProto>; outputs: string[] }[] = [];
  const assigned = new Set<NodeProto>();
  let remaining = graph.output.map((o) => o.name);
  if (remaining.some((o) => !producer.has(o))) return undefined;
  for (const cut of cuts) {
    const nodes = ancestors([cut], new Set(), assigned);
    const after = descendants(cut);
    const outputs = remaining.filter((o) => ![...ancestors([o])].some((n) => after.has(n)));
    for (const o of outputs) ancestors([o], nodes, assigned);
    remaining = remaining.filter((o) => !outputs.includes(o));
    for (const n of nodes) assigned.add(n);
    sets.push({ nodes, outputs });
  }
  sets.push({ nodes: ancestors(remaining, new Set(), assigned), outputs: remaining });
  if (!remaining.length || sets.some((p) => !p.nodes.size)) return undefined;
  const made = sets.map((p) => new Set([...p.nodes].flatMap((n) => n.output)));
  const reads = sets.map((p, k) => [...new Set([...p.nodes].flatMap((n) => n.input).filter((v) => made.slice(0, k).some((m) => m.has(v))))]);
  return sets.map((p, k) => {
    const nodes = graph.node.filter((n) => p.nodes.has(n));
    const later = new Set(reads.slice(k + 1).flat());
    const keeps = [...new Set([...p.outputs, ...[...made[k]].filter((v) => later.has(v))])];
    const used = new Set(nodes.flatMap((n) => n.input));
    const produced = made[k];
    return {
      reads: reads[k],
      keeps,
      outputs: p.outputs,
      weightBytes: weightBytesOf(nodes, bytes),
      model: (types) => OnnxModel.fromProto({
        ...model.proto,
        graph: {
          ...graph,
          node: nodes,
          initializer: graph.initializer.filter((t) => used.has(t.name)),
          input: [...graph.input.filter((v) => used.has(v.name) && !bytes.has(v.name)), ...reads[k].map((name) => typedInput(name, types.get(name)))],
          output: keeps.map((name) => graph.output.find((o) => o.name === name) ?? create(ValueInfoProtoSchema, { name })),
          valueInfo: graph.valueInfo.filter((v) => produced.has(v.name)),
        },
      }, model.baseDir, model.file),
    };
  });
}

/** Producer and consumer indexes of a graph, and the ancestor walk over them (stopping at `stop`). */
function indexes(model: OnnxModel) {
  const producer = new Map<string, NodeProto>();
  for (const n of model.graph.node) for (const o of n.output) if (o) producer.set(o, n);
  const consumers = new Map<string, NodeProto[]>();
  for (const n of model.graph.node) for (const i of n.input) if (i) (consumers.get(i) ?? consumers.set(i, []).get(i)!).push(n);
  const ancestors = (values: readonly string[], into = new Set<NodeProto>(), stop?: Set<NodeProto>) => {
    const stack = [...values];
    while (stack.length) {
      const node = producer.get(stack.pop()!);
      if (!node || into.has(node) || stop?.has(node)) continue;
      into.add(node);
      stack.push(...node.input.filter(Boolean));
    }
    return into;
  };
  return { producer, consumers, ancestors };
}

/** Bytes of the weights `nodes` read, each counted once. */
function weightBytesOf(nodes: Iterable<NodeProto>, bytes: ReadonlyMap<string, number>): number {
  const names = new Set<string>();
  for (const n of nodes) for (const i of n.input) if (bytes.has(i)) names.add(i);
  return [...names].reduce((a, name) => a + bytes.get(name)!, 0);
}

function typedInput(name: string, type: ort.Tensor.Type | undefined): ValueInfoProto {
  const elemType = Object.values(DataType).find((dt) => {
    try {
      return ortTypeName(dt) === type;
    } catch {
      return false;
    }
  });
  if (elemType === undefined) throw new SubcloneError('Runtime', `the value ${name} passed between the model's parts has no type onnxruntime can take (${type ?? 'not computed'})`);
  return create(ValueInfoProtoSchema, { name, type: create(TypeProtoSchema, { value: { case: 'tensorType', value: { elemType } } }) });
}

/** What runInParts needs of a run over numbered batches. */
export interface PartsRun {
  batches: number;
  /** The feeds of batch `i` (asked for once per part); names a part does not read are left out. */
  feeds(i: number): Promise<Record<string, ort.Tensor>> | Record<string, ort.Tensor>;
  /** Receives batch `i`'s outputs (the model's outputs, from every part), in batch order, during the last part. */
  onOutputs(i: number, outputs: Record<string, ort.Tensor>): void | Promise<void>;
  /** Called once the first part's session is open, with the provider it runs on. */
  onReady?(provider: Provider): void;
  /** Called after each part's batch: `part` counts from 0. */
  onProgress?(part: number, done: number): void;
  /** The error to throw when onnxruntime fails on batch `i` (default: its own). */
  failed?(i: number, e: unknown): unknown;
  signal?: AbortSignal;
}

/**
 * Runs every batch through the first part, keeping what later parts read (and the model's outputs it computes) in
 * an unlinked temporary file, closes that session, and so on to the last part. onnxruntime holds one part's weights
 * at a time, for a session per part to open and the values passed on (a [batch, sequence, width] residual stream
 * per batch, and masks) to be written and read back.
 */
export async function runInParts(parts: readonly ModelPart[], options: SessionOptions, run: PartsRun): Promise<void> {
  const stores = parts.map(() => new SpilledTensors());
  const runBatch = async (session: ort.InferenceSession, i: number, feeds: Record<string, ort.Tensor>, outputs: string[]) => {
    try {
      return await session.run(feeds, outputs);
    } catch (e) {
      throw run.failed ? run.failed(i, e) : e;
    }
  };
  // Every part opens on the same provider: why CUDA is not used is said once, by the first.
  const { onNotice: _said, ...later } = options;
  try {
    const types = new Map<string, ort.Tensor.Type>();
    for (let k = 0; k < parts.length; k++) {
      const part = parts[k];
      const last = k === parts.length - 1;
      const model = part.model(types);
      // What JavaScript let go of (the last part's outputs read back, a model written to a file) goes before the
      // next part's weights come in.
      collectGarbage();
      try {
        await withSession(model, k === 0 ? options : later, async (session, provider) => {
          if (k === 0) run.onReady?.(provider);
          for (let i = 0; i < run.batches; i++) {
            throwIfAborted(run.signal);
            const feeds = pick(await run.feeds(i), session.inputNames);
            const earlier: Record<string, ort.Tensor> = {};
            for (let q = 0; q < k; q++) if (stores[q].length) Object.assign(earlier, stores[q].get(i));
            const out = await runBatch(session, i, { ...feeds, ...pick(earlier, session.inputNames) }, part.keeps);
            for (const [name, t] of Object.entries(out)) types.set(name, t.type);
            if (last) await run.onOutputs(i, { ...pick(earlier, parts.slice(0, k).flatMap((p) => p.outputs)), ...pick(out, part.outputs) });
            else stores[k].push(out);
            run.onProgress?.(k, i + 1);
          }
        });
      } finally {
        model.close();
      }
    }
  } finally {
    for (const s of stores) s.close();
  }
}

async function withSession(model: OnnxModel, options: SessionOptions, use: (session: ort.InferenceSession, provider: Provider) => Promise<void>): Promise<void> {
  const { session, provider } = await openModelSession(model, options);
  try {
    await use(session, provider);
  } finally {
    await session.release();
  }
}

function pick(values: Record<string, ort.Tensor>, names: readonly string[]): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const n of names) if (n in values) out[n] = values[n];
  return out;
}

/**
 * Tensors of numbered records kept in an unlinked temporary file (it lives while its descriptor is open), so
 * memory holds one record at a time whatever the number of batches.
 */
export class SpilledTensors {
  private fd: number | null = null;
  private bytes = 0;
  private readonly records: { name: string; type: ort.Tensor.Type; dims: readonly number[]; offset: number; length: number }[][] = [];

  get length(): number {
    return this.records.length;
  }

  push(values: Record<string, ort.Tensor>): void {
    this.fd ??= openUnlinked();
    const record = [];
    for (const [name, t] of Object.entries(values)) {
      if (t.type === 'string') throw new SubcloneError('Runtime', `the string tensor ${name} cannot be passed between the model's parts`);
      const data = t.data as ArrayBufferView;
      const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      try {
        for (let done = 0; done < view.length; ) done += fs.writeSync(this.fd, view, done, view.length - done, this.bytes + done);
      } catch (e) {
        throw new SubcloneError('Runtime', `cannot write intermediate values to a temporary file in ${os.tmpdir()}: ${errorMessage(e)}`, { cause: e });
      }
      record.push({ name, type: t.type, dims: [...t.dims], offset: this.bytes, length: view.length });
      this.bytes += view.length;
    }
    this.records.push(record);
  }

  get(index: number): Record<string, ort.Tensor> {
    const record = this.records[index];
    if (!record || this.fd === null) throw new SubcloneError('Runtime', `intermediate values ${index} of ${this.records.length} asked for${this.fd === null ? ' after they were freed' : ''}`);
    const out: Record<string, ort.Tensor> = {};
    for (const { name, type, dims, offset, length } of record) {
      const buffer = new ArrayBuffer(length);
      const view = new Uint8Array(buffer);
      for (let done = 0; done < length; ) {
        const n = fs.readSync(this.fd, view, done, length - done, offset + done);
        if (n <= 0) throw new SubcloneError('Runtime', 'the temporary file of intermediate values ended early');
        done += n;
      }
      out[name] = new ort.Tensor(type, typedArray(type, buffer) as never, dims);
    }
    return out;
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    this.records.length = 0;
    this.bytes = 0;
  }
}

function typedArray(type: ort.Tensor.Type, buffer: ArrayBuffer): ArrayBufferView {
  switch (type) {
    case 'float32': return new Float32Array(buffer);
    case 'float64': return new Float64Array(buffer);
    case 'int64': return new BigInt64Array(buffer);
    case 'uint64': return new BigUint64Array(buffer);
    case 'int32': return new Int32Array(buffer);
    case 'uint32': return new Uint32Array(buffer);
    case 'int16': return new Int16Array(buffer);
    case 'uint16': case 'float16': return new Uint16Array(buffer);
    case 'int8': return new Int8Array(buffer);
    default: return new Uint8Array(buffer);
  }
}

function openUnlinked(): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'subclone-parts-'));
  try {
    return fs.openSync(path.join(dir, 'values.bin'), 'w+', 0o600);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
