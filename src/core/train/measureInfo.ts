import { create, toBinary } from '@bufbuild/protobuf';
import type * as ort from 'onnxruntime-node';
import { SubcloneError, errorMessage } from '../errors';
import { DataType } from '../onnx/dataType';
import { ModelProtoSchema, NodeProtoSchema, TensorProtoSchema, ValueInfoProtoSchema, type ModelProto, type NodeProto } from '../onnx/proto';
import { openSession } from '../runtime/ortSession';
import { elemFromOrtType, type InfoMap } from '../autodiff/tensorInfo';

/**
 * Static shape and element type of every node output of a graph whose input shapes are fixed, measured by one
 * onnxruntime run. Each value is exposed only through its Shape and its first element, so the run holds no more
 * memory than an ordinary forward pass. Graph inputs and initializers are described from their protos and feeds.
 */
export async function measureInfo(model: ModelProto, feeds: Record<string, ort.Tensor>): Promise<InfoMap> {
  const graph = model.graph!;
  const info: InfoMap = new Map();
  for (const t of graph.initializer) info.set(t.name, { dims: t.dims.map(Number), elem: t.dataType });
  for (const [name, t] of Object.entries(feeds)) info.set(name, { dims: [...t.dims], elem: elemFromOrtType(t.type) });

  const flat = `__measure_flat`;
  const first = [`__measure_zero`, `__measure_one`];
  const extra: NodeProto[] = [];
  const outputs: string[] = [];
  let k = 0;
  for (const node of graph.node) {
    for (const v of node.output) {
      if (!v || info.has(v)) continue;
      const id = k++;
      const shape = `__measure_shape_${id}`;
      const sample = `__measure_sample_${id}`;
      const reshaped = `__measure_flat_${id}`;
      extra.push(
        create(NodeProtoSchema, { opType: 'Shape', input: [v], output: [shape], name: `${shape}_node` }),
        create(NodeProtoSchema, { opType: 'Reshape', input: [v, flat], output: [reshaped], name: `${reshaped}_node` }),
        create(NodeProtoSchema, { opType: 'Slice', input: [reshaped, ...first, first[0]], output: [sample], name: `${sample}_node` }),
      );
      outputs.push(v);
    }
  }
  const int64 = (name: string, values: number[]) =>
    create(TensorProtoSchema, { name, dataType: DataType.INT64, dims: [BigInt(values.length)], rawData: new Uint8Array(BigInt64Array.from(values, BigInt).buffer) });
  const probe = create(ModelProtoSchema, {
    ...model,
    graph: {
      ...graph,
      node: [...graph.node, ...extra],
      initializer: [...graph.initializer, int64(flat, [-1]), int64(first[0], [0]), int64(first[1], [1])],
      output: outputs.flatMap((_, id) => [
        create(ValueInfoProtoSchema, { name: `__measure_shape_${id}` }),
        create(ValueInfoProtoSchema, { name: `__measure_sample_${id}` }),
      ]),
    },
  });
  const { session } = await openSession(toBinary(ModelProtoSchema, probe), { provider: 'cpu', optimization: 'basic' });
  try {
    const result = await session.run(feeds);
    outputs.forEach((v, id) => {
      const shape = result[`__measure_shape_${id}`];
      const sample = result[`__measure_sample_${id}`];
      info.set(v, { dims: Array.from(shape.data as BigInt64Array, Number), elem: elemFromOrtType(sample.type) });
    });
  } catch (e) {
    throw new SubcloneError('Runtime', `measuring the specialised graph failed: ${errorMessage(e)}`, { cause: e });
  } finally {
    await session.release();
  }
  return info;
}
