import * as path from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { SubcloneError, errorLine, throwIfAborted } from '../errors';
import { DataType, isFloatType, ortTypeName } from '../onnx/dataType';
import type { OnnxModel } from '../onnx/onnxModel';
import {
  AttributeProtoSchema,
  AttributeType,
  ModelProtoSchema,
  NodeProtoSchema,
  TensorProtoSchema,
  ValueInfoProtoSchema,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from '../onnx/proto';
import { elementCount, tensorDims } from '../onnx/tensorValues';
import { valueSpec } from '../onnx/valueInfo';
import { quote } from '../quote';
import { helperScript, startProcess } from '../spawn/helperScript';
import type { ProbedValue, ProbeReply, ProbeTask } from './probeRun';

export type { ProbedValue } from './probeRun';

export interface ProbeShape {
  batch: number;
  sequence: number;
  /** Past length for decoders with a KV cache (inputs named past_*). */
  past: number;
  /** Image height/width when a 4-D float input has symbolic spatial dims. */
  image?: number;
}

export const DEFAULT_PROBE: ProbeShape = { batch: 2, sequence: 7, past: 3 };

/** Above this many elements a float initializer is replaced by ConstantOfShape for the probe. */
const STRIP_ABOVE = 4096;

/** The bundle name of the probe process's entry (esbuild.config.mjs; shipped in the .vsix by .vscodeignore). */
export const PROBE_BUNDLE = 'probeProcess.js';

/**
 * Runs the model once in onnxruntime on synthetic inputs with every intermediate value exposed, and returns the
 * shape (and small values) of each. This is the "real run" that stands in wherever static shape inference would
 * need a rule per op. Large float weights are replaced by ConstantOfShape, so the probe's memory stays small
 * whatever the model's size; shapes and shape plumbing do not depend on weight values. The run happens in a child
 * process (probeProcess.ts), so nothing it allocated outlives it: its outputs, copied into JavaScript, would
 * otherwise wait for a garbage collection while the next session loads the weights (on the 400 MB GPT-2 that
 * cost the importance run 100 MiB of peak memory).
 */
export async function probeModel(model: OnnxModel, shape: ProbeShape = DEFAULT_PROBE, signal?: AbortSignal): Promise<Map<string, ProbedValue>> {
  const heavy = weightDerivedShapes(model);
  const probeProto = strippedCopy(model, heavy);
  const g = probeProto.graph!;
  const exposed = new Set([...g.output.map((o) => o.name), ...heavy.keys()]);
  for (const node of model.graph.node) {
    for (const out of node.output) {
      if (out && !exposed.has(out)) {
        g.output.push(create(ValueInfoProtoSchema, { name: out }));
        exposed.add(out);
      }
    }
  }
  const feeds = syntheticFeeds(model, shape);
  const bytes = toBinary(ModelProtoSchema, probeProto);
  const task: ProbeTask = { model: bytes, feeds: Object.entries(feeds).map(([name, t]) => ({ name, type: t.type, dims: [...t.dims], data: t.data })) };
  const reply = await inProcess(task, model.file ?? 'the model', signal);
  if (!reply.ok) {
    // A model onnxruntime loads but cannot run on a few tokens (a shape constant that does not fit, an index out of
    // range) cannot be recognised: a model Subclone cannot handle, like one onnxruntime cannot load.
    const what = reply.stage === 'load' ? `load ${model.file ?? 'this model'}` : `run ${model.file ?? 'this model'} on a probe input (${describeFeeds(feeds)})`;
    throw new SubcloneError('Unsupported', `onnxruntime cannot ${what}: ${reply.message}`);
  }
  return new Map([...heavy, ...reply.values]);
}

/** Runs the probe in a child process (probeProcess.ts); cancelling through `signal` ends it. */
function inProcess(task: ProbeTask, file: string, signal?: AbortSignal): Promise<ProbeReply> {
  const script = helperScript(path.join(__dirname, 'probeProcess.ts'), PROBE_BUNDLE, 'probe process');
  return new Promise((resolve, reject) => {
    throwIfAborted(signal);
    const child = startProcess(script);
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', cancel);
      if (child.exitCode === null) child.kill();
      f();
    };
    const cancel = () => settle(() => reject(new SubcloneError('Cancelled', 'cancelled')));
    signal?.addEventListener('abort', cancel, { once: true });
    child.once('message', (reply: ProbeReply) => settle(() => resolve(reply)));
    child.once('error', (e) => settle(() => reject(new SubcloneError('Runtime', `the probe process could not start: ${errorLine(e)}`, { cause: e }))));
    child.once('exit', (code, sig) => settle(() => reject(new SubcloneError('Unsupported', `onnxruntime stopped while probing ${file} (${sig ? `signal ${sig}` : `exit code ${code}`})`))));
    child.send(task);
  });
}

function describeFeeds(feeds: Record<string, ort.Tensor>): string {
  return Object.entries(feeds).map(([name, t]) => `${quote(name)} [${t.dims.join(', ')}]`).join(', ');
}

const LAYOUT_OPS = new Set(['Transpose', 'Cast', 'CastLike', 'Identity']);

/**
 * Shapes of big weights and of their layout-only transforms (a Transpose of a tied table, a Cast of fp16
 * weights), computed here rather than copied out of onnxruntime, which would cost the model's size again.
 */
function weightDerivedShapes(model: OnnxModel): Map<string, ProbedValue> {
  const out = new Map<string, ProbedValue>();
  const big = (t: TensorProto) => isFloatType(t.dataType) && elementCount(tensorDims(t)) > STRIP_ABOVE;
  for (const t of model.graph.initializer) if (big(t)) out.set(t.name, { dims: tensorDims(t), type: ortTypeOf(t.dataType) });
  for (const node of model.graph.node) {
    const src = out.get(node.input[0]);
    if (!src || !LAYOUT_OPS.has(node.opType) || node.domain) continue;
    let dims = src.dims;
    if (node.opType === 'Transpose') {
      const perm = node.attribute.find((a) => a.name === 'perm')?.ints.map(Number) ?? dims.map((_, i) => dims.length - 1 - i);
      dims = perm.map((p) => src.dims[p]);
    }
    const to = node.opType === 'Cast' ? Number(node.attribute.find((a) => a.name === 'to')?.i ?? 1) : undefined;
    out.set(node.output[0], { dims, type: to !== undefined ? ortTypeOf(to) : src.type });
  }
  return out;
}

function ortTypeOf(dataType: number): string {
  try {
    return ortTypeName(dataType);
  } catch {
    return 'unknown';
  }
}

/** The most values one synthetic input may hold (a batch of two 1024² RGB images is 6.3M). */
const MAX_FEED_ELEMENTS = 1 << 26;

/** Rows a lookup table keeps in the probe: synthetic indices stay below this (ids 0/1, positions < seq + past). */
const PROBE_TABLE_ROWS = 64;

/**
 * A copy of the model proto in which every big weight, and every layout-only transform of one (a Transpose of a
 * tied table, a Cast of fp16 weights), is a ConstantOfShape node of its shape: nothing is read from the file, and
 * a value used only as a lookup table (Gather's data) is made PROBE_TABLE_ROWS rows long, since the probe's
 * indices are small. Shapes and shape plumbing do not depend on weight values.
 */
function strippedCopy(model: OnnxModel, heavy: Map<string, ProbedValue>): ModelProto {
  const src = model.proto;
  const graph = src.graph!;
  const kept: TensorProto[] = [];
  const generated: NodeProto[] = [];
  const typeOf = new Map(graph.initializer.map((t) => [t.name, t.dataType]));
  const lookupOnly = (name: string) => {
    // Nodes whose output is itself replaced (the Transpose of a tied table) do not read the table in the probe.
    const uses = graph.node.filter((n) => n.input.includes(name) && !heavy.has(n.output[0]));
    return uses.length > 0 && uses.every((n) => n.opType === 'Gather' && n.input[0] === name && Number(n.attribute.find((a) => a.name === 'axis')?.i ?? 0) === 0);
  };
  const dataTypeOf = (name: string): number => {
    const direct = typeOf.get(name);
    if (direct !== undefined) return direct;
    const p = graph.node.find((n) => n.output[0] === name)!;
    if (p.opType === 'Cast') return Number(p.attribute.find((a) => a.name === 'to')?.i ?? DataType.FLOAT);
    return dataTypeOf(p.input[0]);
  };
  const remaining = graph.node.filter((n) => !heavy.has(n.output[0]));
  // A weight whose only consumers are replaced themselves (a bf16 table under its Cast) is not generated at all.
  const needed = new Set([...remaining.flatMap((n) => n.input), ...graph.output.map((o) => o.name)]);
  for (const [name, v] of heavy) {
    if (!needed.has(name)) continue;
    const dims = lookupOnly(name) ? [Math.min(v.dims[0], PROBE_TABLE_ROWS), ...v.dims.slice(1)] : v.dims;
    const shapeName = `${name}__probe_shape`;
    kept.push(create(TensorProtoSchema, { name: shapeName, dataType: DataType.INT64, dims: [BigInt(dims.length)], int64Data: dims.map(BigInt) }));
    const dataType = dataTypeOf(name);
    const value = create(TensorProtoSchema, { dataType, dims: [1n], rawData: oneValueBytes(dataType) });
    generated.push(
      create(NodeProtoSchema, {
        opType: 'ConstantOfShape',
        input: [shapeName],
        output: [name],
        name: `${name}__probe`,
        attribute: [create(AttributeProtoSchema, { name: 'value', type: AttributeType.TENSOR, t: value })],
      }),
    );
  }
  for (const t of graph.initializer) {
    if (heavy.has(t.name)) continue;
    kept.push(model.inlined(t));
  }
  const initNames = new Set(graph.initializer.map((t) => t.name));
  return create(ModelProtoSchema, {
    ...src,
    graph: {
      ...graph,
      initializer: kept,
      node: [...generated, ...remaining],
      // Graph inputs that are also initializers (keep_initializers_as_inputs) would make the generated ones inputs.
      input: graph.input.filter((v) => !initNames.has(v.name) || !heavy.has(v.name)),
      output: [...graph.output],
    },
  });
}

/** 0.01 in the tensor's float type (small enough to keep activations finite). */
function oneValueBytes(dataType: number): Uint8Array<ArrayBuffer> {
  switch (dataType) {
    case DataType.FLOAT: return new Uint8Array(Float32Array.of(0.01).buffer);
    case DataType.DOUBLE: return new Uint8Array(Float64Array.of(0.01).buffer);
    case DataType.FLOAT16: return new Uint8Array(Uint16Array.of(0x211f).buffer);
    default: return new Uint8Array(Uint16Array.of(0x3c24).buffer); // bfloat16 0.01
  }
}

/**
 * Inputs for a probe run, guessed from the graph inputs' names, types and symbolic dims: token ids (small values,
 * valid for any vocabulary), masks of ones, zero token types, position ids 0..T-1, random pixels, zero KV caches.
 */
export function syntheticFeeds(model: OnnxModel, shape: ProbeShape): Record<string, ort.Tensor> {
  const initNames = new Set(model.graph.initializer.map((t) => t.name));
  const feeds: Record<string, ort.Tensor> = {};
  for (const v of model.graph.input.filter((x) => !initNames.has(x.name))) {
    const spec = valueSpec(v);
    if (!spec.shape) throw new SubcloneError('Unsupported', `graph input ${quote(v.name)} has no shape; cannot build an input for it`);
    const name = v.name.toLowerCase();
    const dims = spec.shape.map((d, axis) => resolveDim(d, axis, name, spec.shape!.length, shape));
    const n = elementCount(dims);
    if (!(n <= MAX_FEED_ELEMENTS)) {
      throw new SubcloneError('Unsupported', `graph input ${quote(v.name)} has the shape [${dims.join(', ')}]: too large to build a probe input for it`);
    }
    switch (spec.dtype) {
      case 'int64':
      case 'int32': {
        const values = new Array<number>(n);
        const seq = dims[dims.length - 1] ?? 1;
        for (let i = 0; i < n; i++) {
          if (name.includes('mask')) values[i] = 1;
          else if (name.includes('type')) values[i] = 0;
          else if (name.includes('position')) values[i] = i % seq;
          else values[i] = (i * 7 + 1) % 2; // token ids 0/1: valid whatever the vocabulary
        }
        feeds[v.name] = spec.dtype === 'int64'
          ? new ort.Tensor('int64', BigInt64Array.from(values, BigInt), dims)
          : new ort.Tensor('int32', Int32Array.from(values), dims);
        break;
      }
      case 'bool':
        feeds[v.name] = new ort.Tensor('bool', new Uint8Array(n).fill(1), dims);
        break;
      case 'float32':
      case 'float16': {
        const data = new Float32Array(n);
        if (!name.includes('past')) for (let i = 0; i < n; i++) data[i] = Math.sin(i * 12.9898) * 0.5;
        feeds[v.name] = spec.dtype === 'float32'
          ? new ort.Tensor('float32', data, dims)
          : new ort.Tensor('float16', new Uint16Array(n), dims);
        break;
      }
      default:
        throw new SubcloneError('Unsupported', `graph input ${quote(v.name)} has type ${spec.dtype}; cannot build an input for it`);
    }
  }
  return feeds;
}

/** A concrete size for one dim of an input: fixed dims stay, symbolic ones are read from their names. */
function resolveDim(d: number | string | null, axis: number, input: string, rank: number, shape: ProbeShape): number {
  if (typeof d === 'number' && d > 0) return d;
  const name = typeof d === 'string' ? d.toLowerCase() : '';
  if (name.includes('+')) {
    return name.split('+').reduce((sum, part) => sum + resolveDim(part.trim() === '1' ? 1 : part.trim(), axis, input, rank, shape), 0);
  }
  if (/^\d+$/.test(name)) return Number(name);
  if (name.includes('batch')) return shape.batch;
  if (name.includes('past')) return shape.past;
  if (name.includes('height') || name.includes('width')) return shape.image ?? 224;
  if (name.includes('total') || name.includes('key_value') || name.includes('all')) return shape.past + shape.sequence;
  if (name) return axis === 0 ? shape.batch : input.includes('past') ? shape.past : shape.sequence;
  // Unnamed dynamic dims: batch first, then sequence.
  if (axis === 0) return shape.batch;
  if (input.includes('past') && rank === 4 && axis === 2) return shape.past;
  return rank === 4 && axis >= 2 ? shape.image ?? 224 : shape.sequence;
}
