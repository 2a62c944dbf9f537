import { clone } from '@bufbuild/protobuf';
import { axisPositions } from '../coupling/axisPositions';
import { Graph } from '../graph/graph';
import type { OnnxModel } from '../onnx/onnxModel';
import { TensorShapeProto_DimensionSchema, ValueInfoProtoSchema, type ValueInfoProto } from '../onnx/proto';
import { tensorDims } from '../onnx/tensorValues';
import type { LinearInfo, TransformerMap } from '../recognize/transformerMap';
import { editableCopy } from './childModel';
import { removeBlocks } from './removeBlocks';
import { rewriteConstants } from './rewriteConstants';
import { sliceTensors, type KeptUnits, type ScaledWeight } from './sliceTensors';
import { create } from '@bufbuild/protobuf';

/** What to keep: parent blocks (ascending) and, per coupling group, the kept parent units (ascending). */
export interface Selection {
  blocks: number[];
  keep: KeptUnits;
}

export interface SurgeryOptions {
  /** Multiply weights whose fan-in shrank by sqrt(fan-in parent / fan-in child) (default true). */
  scale?: boolean;
}

export interface Child {
  model: OnnxModel;
  graph: Graph;
  scaled: ScaledWeight[];
  constantEdits: number;
}

/**
 * Builds the destination by in-place surgery on a copy of the parent's graph: removes the blocks not kept,
 * slices every coupled tensor with the kept units, rescales shrunk fan-ins, rewrites baked shape constants and the
 * declared I/O shapes. Inputs, outputs and operators stay the parent's; only sizes change.
 */
export function buildChild(parent: OnnxModel, map: TransformerMap, selection: Selection, options: SurgeryOptions = {}): Child {
  const model = editableCopy(parent);
  const graph = new Graph(model);
  removeBlocks(graph, map, selection.blocks);
  graph.cleanup();
  const scaleAxes = options.scale ?? true ? fanInAxes(map, selection.blocks) : new Map<string, number>();
  const scaled = sliceTensors(graph, map.groups, selection.keep, scaleAxes);
  const sizes = Object.fromEntries(map.groups.map((g) => [g.id, selection.keep[g.id]?.length ?? g.size]));
  const constantEdits = rewriteConstants(graph, map.groups, sizes);
  resizeIo(graph, map, selection.keep);
  graph.cleanup();
  graph.toposort();
  graph.validate();
  return { model, graph, scaled, constantEdits };
}

/** Weights of the linear layers that keep living (their input axis), except tied heads: a tie must stay exact. */
function fanInAxes(map: TransformerMap, blocks: readonly number[]): Map<string, number> {
  const out = new Map<string, number>();
  const add = (l: Pick<LinearInfo, 'weight' | 'inAxis'> | null | undefined) => l && out.set(l.weight, l.inAxis);
  for (const b of map.blocks.filter((x) => blocks.includes(x.index))) {
    const a = b.attention;
    [a.q, a.k, a.v, a.o, b.mlp.up, b.mlp.gate, b.mlp.down].forEach(add);
  }
  for (const h of [map.final.head, ...map.final.extraHeads]) if (h && !h.tiedTo) add(h);
  if (map.final.headTransform) add({ weight: map.final.headTransform.weight, inAxis: inAxisOf(map, map.final.headTransform.weight) });
  if (map.final.pooler) add({ weight: map.final.pooler.weight, inAxis: inAxisOf(map, map.final.pooler.weight) });
  return out;
}

/** The input axis of a 2-D weight whose D-coupled axis is its input (pooler, head transform). */
function inAxisOf(map: TransformerMap, weight: string): number {
  const d = map.groups.find((g) => g.id === 'D')!;
  const axes = d.members.filter((m) => m.tensor === weight).map((m) => m.axis);
  return axes.length === 1 ? axes[0] : 0;
}

/** Declared shapes of graph inputs/outputs that carry groups, and of initializers listed as inputs. */
function resizeIo(graph: Graph, map: TransformerMap, keep: KeptUnits): void {
  const choose = (g: string) => keep[g] ?? Array.from({ length: map.groups.find((x) => x.id === g)?.size ?? 0 }, (_, i) => i);
  const sizes = new Map<string, Map<number, number>>();
  for (const g of map.groups) {
    for (const m of g.io) {
      let axes = sizes.get(m.tensor);
      if (!axes) sizes.set(m.tensor, (axes = new Map()));
      axes.set(m.axis, axisPositions(m.expr, choose).length);
    }
  }
  for (const t of graph.proto.initializer) {
    if (graph.isGraphInput(t.name)) sizes.set(t.name, new Map(tensorDims(t).map((d, i) => [i, d])));
  }
  const edit = (v: ValueInfoProto): ValueInfoProto => {
    const axes = sizes.get(v.name);
    if (!axes || v.type?.value.case !== 'tensorType' || !v.type.value.value.shape) return v;
    const copy = clone(ValueInfoProtoSchema, v);
    const shape = (copy.type!.value.value as { shape: { dim: { value: { case: string; value: unknown } }[] } }).shape;
    for (const [axis, size] of axes) {
      const dim = shape.dim[axis];
      if (dim && dim.value.case !== 'dimParam') shape.dim[axis] = create(TensorShapeProto_DimensionSchema, { value: { case: 'dimValue', value: BigInt(size) } }) as never;
    }
    return copy;
  };
  graph.proto.input = graph.proto.input.map(edit);
  graph.proto.output = graph.proto.output.map(edit);
  graph.invalidate();
}
