import { create } from '@bufbuild/protobuf';
import { DataType, elementSize as elementBytes } from '../../onnx/dataType';
import {
  AttributeProtoSchema,
  AttributeType,
  DataLocation,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  TensorProtoSchema,
  TensorShapeProtoSchema,
  TensorShapeProto_DimensionSchema,
  TypeProtoSchema,
  TypeProto_TensorSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from '../../onnx/proto';

/** The opset the built graphs use: LayerNormalization exists, ReduceMean still takes its axes as an attribute. */
export const BUILT_OPSET = 17;

export type AttributeValue = number | number[] | string | { float: number } | { floats: number[] } | TensorProto;

/** A graph input or output dimension: a size or a symbolic name. */
export type Dim = number | string;

/** Where an initializer's bytes lie: a file in the checkpoint's folder and a byte range in it. */
export interface ExternalBytes {
  location: string;
  offset: number;
  length: number;
}

/**
 * Builds an ONNX graph node by node. Values get scoped names (`/h.0/attn/MatMul_1`), as the exporters name them,
 * so messages and the overview show where a value belongs. Constants are Constant nodes (not initializers), so
 * only the checkpoint's weights are initializers.
 */
export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly counts = new Map<string, number>();
  private scopes: string[] = [];

  /** Runs `build` with node names under `/<scope>`. */
  within<T>(scope: string, build: () => T): T {
    this.scopes.push(scope);
    try {
      return build();
    } finally {
      this.scopes.pop();
    }
  }

  /** Adds a node with one output and returns the output's name. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttributeValue> = {}): string {
    return this.opN(opType, inputs, 1, attrs)[0];
  }

  /** Adds a node with `outputs` outputs and returns their names. */
  opN(opType: string, inputs: readonly string[], outputs: number, attrs: Record<string, AttributeValue> = {}): string[] {
    const name = this.uniqueName(opType);
    const outs = Array.from({ length: outputs }, (_, k) => `${name}_output_${k}`);
    this.nodes.push(create(NodeProtoSchema, {
      name,
      opType,
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs).map(([key, value]) => attribute(key, value)),
    }));
    return outs;
  }

  /** A constant int64 tensor (1-D unless `dims` says otherwise; a scalar with dims []). */
  int64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const bytes = new Uint8Array(values.length * 8);
    const view = new DataView(bytes.buffer);
    values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    return this.constant(DataType.INT64, dims, bytes);
  }

  /** A constant float32 tensor (a scalar unless `dims` is given). */
  float(values: number | readonly number[], dims?: readonly number[]): string {
    const list = typeof values === 'number' ? [values] : [...values];
    return this.constant(DataType.FLOAT, dims ?? (typeof values === 'number' ? [] : [list.length]), new Uint8Array(new Float32Array(list).buffer));
  }

  /** Zeros of `dataType` in the shape `shape` holds (ConstantOfShape). */
  zeros(shape: string, dataType: number): string {
    const bytes = new Uint8Array(elementBytes(dataType));
    return this.op('ConstantOfShape', [shape], { value: create(TensorProtoSchema, { dataType, dims: [1n], rawData: bytes }) });
  }

  private constant(dataType: number, dims: readonly number[], rawData: Uint8Array): string {
    const value = create(TensorProtoSchema, { dataType, dims: dims.map(BigInt), rawData: new Uint8Array(rawData) });
    return this.op('Constant', [], { value });
  }

  /** An initializer whose bytes stay in the checkpoint's file. */
  externalInitializer(name: string, dataType: number, dims: readonly number[], bytes: ExternalBytes): string {
    this.initializers.push(create(TensorProtoSchema, {
      name,
      dataType,
      dims: dims.map(BigInt),
      dataLocation: DataLocation.EXTERNAL,
      externalData: [
        create(StringStringEntryProtoSchema, { key: 'location', value: bytes.location }),
        create(StringStringEntryProtoSchema, { key: 'offset', value: String(bytes.offset) }),
        create(StringStringEntryProtoSchema, { key: 'length', value: String(bytes.length) }),
      ],
    }));
    return name;
  }

  input(name: string, elemType: number, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Declares `value` a graph output named `name` (an Identity renames it when the names differ). */
  output(name: string, value: string, elemType: number, dims: readonly Dim[]): void {
    if (value !== name) {
      this.nodes.push(create(NodeProtoSchema, { name: this.uniqueName('Identity'), opType: 'Identity', input: [value], output: [name] }));
    }
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** The model: the graph in the order it was built (producers first), opset 17. */
  build(graphName: string, docString: string): ModelProto {
    return create(ModelProtoSchema, {
      irVersion: 8n,
      producerName: 'subclone',
      docString,
      opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(BUILT_OPSET) })],
      graph: create(GraphProtoSchema, {
        name: graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      }),
    });
  }

  private uniqueName(opType: string): string {
    const prefix = `/${this.scopes.join('/')}${this.scopes.length ? '/' : ''}${opType}`;
    const n = this.counts.get(prefix) ?? 0;
    this.counts.set(prefix, n + 1);
    return n === 0 ? prefix : `${prefix}_${n}`;
  }
}

function attribute(name: string, value: AttributeValue): AttributeProto {
  if (typeof value === 'number') return create(AttributeProtoSchema, { name, type: AttributeType.INT, i: BigInt(value) });
  if (typeof value === 'string') return create(AttributeProtoSchema, { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) });
  if (Array.isArray(value)) return create(AttributeProtoSchema, { name, type: AttributeType.INTS, ints: value.map(BigInt) });
  if ('float' in value) return create(AttributeProtoSchema, { name, type: AttributeType.FLOAT, f: value.float });
  if ('floats' in value) return create(AttributeProtoSchema, { name, type: AttributeType.FLOATS, floats: value.floats });
  return create(AttributeProtoSchema, { name, type: AttributeType.TENSOR, t: value });
}

function valueInfo(name: string, elemType: number, dims: readonly Dim[]): ValueInfoProto {
  const dim = dims.map((d) => create(TensorShapeProto_DimensionSchema, { value: typeof d === 'number' ? { case: 'dimValue', value: BigInt(d) } : { case: 'dimParam', value: d } }));
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, { value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType, shape: create(TensorShapeProtoSchema, { dim }) }) } }),
  });
}
