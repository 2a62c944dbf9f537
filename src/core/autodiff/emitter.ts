import { create } from '@bufbuild/protobuf';
import { SubcloneError } from '../errors';
import { DataType, dataTypeName } from '../onnx/dataType';
import { floatToHalfBits, float32ToBfloat16 } from '../onnx/float16';
import {
  AttributeProtoSchema,
  AttributeType,
  NodeProtoSchema,
  TensorProtoSchema,
  type AttributeProto,
  type NodeProto,
  type TensorProto,
} from '../onnx/proto';

/** Attribute constructors for emitted nodes. */
export const attr = {
  int: (name: string, v: number): AttributeProto => create(AttributeProtoSchema, { name, type: AttributeType.INT, i: BigInt(v) }),
  ints: (name: string, v: readonly number[]): AttributeProto =>
    create(AttributeProtoSchema, { name, type: AttributeType.INTS, ints: v.map((x) => BigInt(x)) }),
  float: (name: string, v: number): AttributeProto => create(AttributeProtoSchema, { name, type: AttributeType.FLOAT, f: v }),
  floats: (name: string, v: readonly number[]): AttributeProto => create(AttributeProtoSchema, { name, type: AttributeType.FLOATS, floats: [...v] }),
  string: (name: string, v: string): AttributeProto =>
    create(AttributeProtoSchema, { name, type: AttributeType.STRING, s: new TextEncoder().encode(v) }),
  tensor: (name: string, t: TensorProto): AttributeProto => create(AttributeProtoSchema, { name, type: AttributeType.TENSOR, t }),
};

/** Little-endian bytes of `values` in a float element type. */
export function floatBytes(values: readonly number[] | Float32Array | Float64Array, elem: number): Uint8Array<ArrayBuffer> {
  switch (elem) {
    case DataType.FLOAT: return new Uint8Array(Float32Array.from(values).buffer);
    case DataType.DOUBLE: return new Uint8Array(Float64Array.from(values).buffer);
    case DataType.FLOAT16: return new Uint8Array(Uint16Array.from(values, (v) => floatToHalfBits(v)).buffer);
    case DataType.BFLOAT16: {
      const out = new Uint16Array(values.length);
      float32ToBfloat16(Float32Array.from(values), out);
      return new Uint8Array(out.buffer);
    }
    default: throw new SubcloneError('Unsupported', `no float constant of type ${dataTypeName(elem)}`);
  }
}

/**
 * Emits the nodes and constants of generated graph parts (gradients, losses) with names that cannot collide with
 * the graph they join, the ops picked to match the graph's opset. Constants are initializers, shared by content.
 */
export class Emitter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly constants = new Map<string, string>();
  private counter = 0;

  /**
   * @param taken names already used by the graph (values, initializers, nodes); new names avoid them
   * @param opset the default-domain opset the emitted ops must be valid in (13 or newer)
   * @param prefix readable prefix of every emitted name
   */
  constructor(
    private readonly taken: Set<string>,
    readonly opset: number,
    private readonly prefix: string,
  ) {
    if (opset < 13) throw new SubcloneError('Unsupported', `opset ${opset}: training graphs need opset 13 or newer`);
  }

  name(base: string): string {
    let n: string;
    do n = `${this.prefix}${base}_${this.counter++}`;
    while (this.taken.has(n));
    this.taken.add(n);
    return n;
  }

  /** Emits one node and returns its output names. */
  node(opType: string, inputs: readonly string[], attributes: AttributeProto[] = [], outputs = 1, domain = ''): string[] {
    const out = Array.from({ length: outputs }, () => this.name(opType));
    this.nodes.push(create(NodeProtoSchema, { opType, domain, input: [...inputs], output: out, name: this.name(`${opType}_node`), attribute: attributes }));
    return out;
  }

  /** Emits a single-output node and returns its output. */
  op(opType: string, inputs: readonly string[], attributes: AttributeProto[] = []): string {
    return this.node(opType, inputs, attributes)[0];
  }

  /** An int64 constant (1-D unless `dims` says otherwise). */
  ints(values: readonly number[], dims: number[] = [values.length]): string {
    const key = `i64:${dims.join('x')}:${values.join(',')}`;
    return this.constant(key, () =>
      create(TensorProtoSchema, { dataType: DataType.INT64, dims: dims.map(BigInt), rawData: new Uint8Array(BigInt64Array.from(values, BigInt).buffer) }),
    );
  }

  /** A float constant of element type `elem` (a scalar unless `dims` says otherwise). */
  floats(values: readonly number[], elem: number, dims: number[] = []): string {
    const key = `f${elem}:${dims.join('x')}:${values.join(',')}`;
    return this.constant(key, () => create(TensorProtoSchema, { dataType: elem, dims: dims.map(BigInt), rawData: floatBytes(values, elem) }));
  }

  scalar(value: number, elem: number): string {
    return this.floats([value], elem);
  }

  /** A tensor of zeros with static dims (ConstantOfShape, so it costs no initializer bytes). */
  zeros(dims: readonly number[], elem: number): string {
    const value = create(TensorProtoSchema, { dataType: elem, dims: [1n], rawData: floatBytes([0], elem) });
    return this.op('ConstantOfShape', [this.ints(dims)], [attr.tensor('value', value)]);
  }

  private constant(key: string, make: () => TensorProto): string {
    const known = this.constants.get(key);
    if (known) return known;
    const t = make();
    t.name = this.name('const');
    this.initializers.push(t);
    this.constants.set(key, t.name);
    return t.name;
  }

  // --- ops whose signature changed across opsets ---------------------------------------------------------------

  reshape(x: string, dims: readonly number[]): string {
    return this.op('Reshape', [x, this.ints(dims)]);
  }

  transpose(x: string, perm: readonly number[]): string {
    return this.op('Transpose', [x], [attr.ints('perm', perm)]);
  }

  /** ReduceSum over `axes` (axes as an input since opset 13). */
  reduceSum(x: string, axes: readonly number[], keepdims: boolean): string {
    return this.op('ReduceSum', [x, this.ints(axes)], [attr.int('keepdims', keepdims ? 1 : 0)]);
  }

  /** ReduceMean over `axes` (an attribute before opset 18, an input from 18). */
  reduceMean(x: string, axes: readonly number[], keepdims: boolean): string {
    const kd = attr.int('keepdims', keepdims ? 1 : 0);
    return this.opset >= 18
      ? this.op('ReduceMean', [x, this.ints(axes)], [kd])
      : this.op('ReduceMean', [x], [attr.ints('axes', axes), kd]);
  }

  /** ReduceLogSumExp over `axes` (an attribute before opset 18, an input from 18). */
  reduceLogSumExp(x: string, axes: readonly number[], keepdims: boolean): string {
    const kd = attr.int('keepdims', keepdims ? 1 : 0);
    return this.opset >= 18
      ? this.op('ReduceLogSumExp', [x, this.ints(axes)], [kd])
      : this.op('ReduceLogSumExp', [x], [attr.ints('axes', axes), kd]);
  }

  unsqueeze(x: string, axes: readonly number[]): string {
    return this.op('Unsqueeze', [x, this.ints(axes)]);
  }

  cast(x: string, to: number): string {
    return this.op('Cast', [x], [attr.int('to', to)]);
  }

  /** Splits along `axis` into parts of the given sizes (sizes as an input since opset 13). */
  split(x: string, axis: number, sizes: readonly number[]): string[] {
    return this.node('Split', [x, this.ints(sizes)], [attr.int('axis', axis)], sizes.length);
  }

  /** Zero padding: `before[i]`/`after[i]` elements on axis i (pads as an input since opset 11). */
  pad(x: string, before: readonly number[], after: readonly number[]): string {
    return this.op('Pad', [x, this.ints([...before, ...after])], [attr.string('mode', 'constant')]);
  }
}
