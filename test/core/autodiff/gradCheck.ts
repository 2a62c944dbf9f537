import { clone, create, toBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { appendBackward } from '../../../src/core/autodiff/backward';
import { Emitter, floatBytes } from '../../../src/core/autodiff/emitter';
import { DataType, ortTypeName } from '../../../src/core/onnx/dataType';
import {
  ModelProtoSchema,
  NodeProtoSchema,
  TensorProtoSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type NodeProto,
  type TensorProto,
} from '../../../src/core/onnx/proto';
import { measureInfo } from '../../../src/core/train/measureInfo';

/** An input of a rule check: differentiated (`wrt`, the default) or held fixed. */
export interface CaseInput {
  name: string;
  dims: number[];
  elem?: number;
  wrt?: boolean;
  values?: number[];
  /** Draw values in [0.5, 1.5] (for Sqrt, Log, fractional Pow, divisors). */
  positive?: boolean;
}

export interface RuleCase {
  inputs: CaseInput[];
  /** Constant inputs (axes, shapes, bounds, indices): int64 unless elem says otherwise. */
  constants?: { name: string; dims: number[]; values: number[]; elem?: number }[];
  nodes: NodeProto[];
  output?: string;
  opset?: number;
  /** Element type of the differentiated inputs (default float64). */
  elem?: number;
  seed?: number;
}

export interface CheckResult {
  /** Largest |analytic - numeric| / max(|numeric|, 1) over every element of every input. */
  maxError: number;
  checked: number;
}

export function node(opType: string, input: string[], output: string[], attribute: AttributeProto[] = []): NodeProto {
  return create(NodeProtoSchema, { opType, input, output, attribute, name: `${opType}_${output[0]}` });
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function valueInfo(name: string, elem: number, dims: number[]) {
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, { value: { case: 'tensorType', value: { elemType: elem, shape: { dim: dims.map((d) => ({ value: { case: 'dimValue' as const, value: BigInt(d) } })) } } } }),
  });
}

function tensor(elem: number, values: number[], dims: number[]): ort.Tensor {
  switch (elem) {
    case DataType.DOUBLE: return new ort.Tensor('float64', Float64Array.from(values), dims);
    case DataType.FLOAT: return new ort.Tensor('float32', Float32Array.from(values), dims);
    case DataType.INT64: return new ort.Tensor('int64', BigInt64Array.from(values, BigInt), dims);
    case DataType.BOOL: return new ort.Tensor('bool', Uint8Array.from(values), dims);
    default: throw new Error(`no test tensor for ${ortTypeName(elem)}`);
  }
}

function constantTensor(c: { name: string; dims: number[]; values: number[]; elem?: number }): TensorProto {
  const elem = c.elem ?? DataType.INT64;
  const rawData =
    elem === DataType.INT64 ? new Uint8Array(BigInt64Array.from(c.values, BigInt).buffer)
      : elem === DataType.BOOL ? Uint8Array.from(c.values)
        : floatBytes(c.values, elem);
  return create(TensorProtoSchema, { name: c.name, dataType: elem, dims: c.dims.map(BigInt), rawData });
}

/**
 * Checks a rule against central finite differences: f(x) = sum(y * r) for a fixed random r, analytic gradients
 * from appendBackward, numeric ones from (f(x + h) - f(x - h)) / 2h per element.
 */
export async function gradCheck(c: RuleCase, h = 1e-6): Promise<CheckResult> {
  const opset = c.opset ?? 17;
  const elem = c.elem ?? DataType.DOUBLE;
  const out = c.output ?? 'y';
  const random = rng(c.seed ?? 7);
  const values = new Map<string, number[]>();
  for (const i of c.inputs) {
    const n = i.dims.reduce((p, d) => p * d, 1);
    values.set(i.name, i.values ?? Array.from({ length: n }, () => (i.positive ? 0.5 + random() : random() * 2 - 1)));
  }
  const elemOf = (i: CaseInput) => i.elem ?? elem;
  const inits = (c.constants ?? []).map(constantTensor);
  const forwardModel = (nodes: NodeProto[], extraInputs: ReturnType<typeof valueInfo>[], outputs: string[], more: TensorProto[] = []) =>
    create(ModelProtoSchema, {
      irVersion: 8n,
      opsetImport: [{ domain: '', version: BigInt(opset) }],
      graph: {
        name: 'check',
        node: nodes,
        initializer: [...inits, ...more],
        input: [...c.inputs.map((i) => valueInfo(i.name, elemOf(i), i.dims)), ...extraInputs],
        output: outputs.map((o) => create(ValueInfoProtoSchema, { name: o })),
      },
    });
  const feeds = (override?: { name: string; index: number; delta: number }) => {
    const f: Record<string, ort.Tensor> = {};
    for (const i of c.inputs) {
      const v = [...values.get(i.name)!];
      if (override && override.name === i.name) v[override.index] += override.delta;
      f[i.name] = tensor(elemOf(i), v, i.dims);
    }
    return f;
  };

  const fwd = forwardModel(c.nodes, [], [out]);
  const info = await measureInfo(fwd, feeds());
  const yInfo = info.get(out)!;
  const r = Array.from({ length: yInfo.dims.reduce((p, d) => p * d, 1) }, () => random() * 2 - 1);

  const nodes = c.nodes.map((n) => clone(NodeProtoSchema, n));
  const taken = new Set<string>([...c.inputs.map((i) => i.name), ...inits.map((t) => t.name), ...nodes.flatMap((n) => n.output)]);
  const e = new Emitter(taken, opset, 'grad/');
  const wrt = c.inputs.filter((i) => i.wrt ?? true).map((i) => i.name);
  const constants = new Map(inits.map((t, k) => [t.name, (c.constants ?? [])[k].values]));
  const { grads } = appendBackward({ nodes, wrt, seeds: [{ value: out, grad: 'dy' }], info, constant: (v) => constants.get(v), isConstant: (v) => constants.has(v), emitter: e });
  const gradNames = wrt.map((w) => grads.get(w));
  if (gradNames.some((g) => !g)) throw new Error(`no gradient for ${wrt.filter((_, k) => !gradNames[k]).join(', ')}`);
  const bwd = forwardModel([...nodes, ...e.nodes], [valueInfo('dy', yInfo.elem, yInfo.dims)], gradNames as string[], e.initializers);

  // 'basic': onnxruntime's fusions (QuickGelu, …) have float32 kernels only.
  const options = { logSeverityLevel: 3 as const, graphOptimizationLevel: 'basic' as const };
  const fwdSession = await ort.InferenceSession.create(toBinary(ModelProtoSchema, fwd), options);
  const bwdSession = await ort.InferenceSession.create(toBinary(ModelProtoSchema, bwd), options);
  try {
    const analytic = await bwdSession.run({ ...feeds(), dy: tensor(yInfo.elem, r, yInfo.dims) });
    const f = async (name: string, index: number, delta: number) => {
      const y = (await fwdSession.run(feeds({ name, index, delta })))[out].data as Float64Array | Float32Array;
      let s = 0;
      for (let k = 0; k < y.length; k++) s += y[k] * r[k];
      return s;
    };
    let maxError = 0;
    let checked = 0;
    for (const [k, w] of wrt.entries()) {
      const a = analytic[gradNames[k]!].data as Float64Array | Float32Array;
      const n = values.get(w)!.length;
      if (a.length !== n) throw new Error(`gradient of ${w} has ${a.length} elements, expected ${n}`);
      for (let j = 0; j < n; j++) {
        const numeric = ((await f(w, j, h)) - (await f(w, j, -h))) / (2 * h);
        maxError = Math.max(maxError, Math.abs(a[j] - numeric) / Math.max(Math.abs(numeric), 1));
        checked++;
      }
    }
    return { maxError, checked };
  } finally {
    await fwdSession.release();
    await bwdSession.release();
  }
}
