import { SubcloneError } from '../errors';
import { axisPositions, gatherAxis } from '../coupling/axisPositions';
import { ownInitializer, isStoredTensor } from '../coupling/storedTensors';
import type { Graph } from '../graph/graph';
import { DataType, elementSize } from '../onnx/dataType';
import { float32ToBfloat16, float32ToFloat16 } from '../onnx/float16';
import type { TensorProto } from '../onnx/proto';
import { tensorWithBytes } from '../onnx/tensorEdit';
import { bytesToFloat32, tensorDims } from '../onnx/tensorValues';
import type { AxisExpr, CouplingGroup } from '../recognize/transformerMap';
import { quote } from '../quote';

/** Kept parent units per group, ascending; a group not listed keeps all its units. */
export type KeptUnits = Record<string, readonly number[]>;

/** How a linear's weight was rescaled: multiplied by sqrt(fan-in before / after). */
export interface ScaledWeight {
  tensor: string;
  factor: number;
}

/**
 * Slices every live stored tensor along each coupled axis with the kept units of its groups (the same indices
 * everywhere the dimension appears), then multiplies the weights in `scaleAxes` by sqrt(parent fan-in / child
 * fan-in) of their input axis. Deduplicated copies and Constant nodes get their own initializer first.
 */
export function sliceTensors(graph: Graph, groups: readonly CouplingGroup[], keep: KeptUnits, scaleAxes: Map<string, number>): ScaledWeight[] {
  const choose = (g: string) => keep[g] ?? range(groups.find((x) => x.id === g)?.size ?? 0);
  const axesByTensor = new Map<string, Map<number, AxisExpr>>();
  for (const g of groups) {
    for (const m of g.members) {
      let axes = axesByTensor.get(m.tensor);
      if (!axes) axesByTensor.set(m.tensor, (axes = new Map()));
      axes.set(m.axis, m.expr);
    }
  }
  // Copies first: a deduplicated weight must be copied before its source is sliced for another layer.
  const live = [...axesByTensor.keys()].filter((name) => isStoredTensor(graph, name)); // not a removed block's
  for (const name of live) ownInitializer(graph, name);
  const scaled: ScaledWeight[] = [];
  for (const name of live) {
    const axes = axesByTensor.get(name)!;
    const tensor = graph.initializer(name)!;
    let dims = tensorDims(tensor);
    let bytes: Uint8Array = graph.model.tensorBytes(tensor);
    const size = elementSize(tensor.dataType);
    let changed = false;
    const before = [...dims];
    for (const [axis, expr] of [...axes].sort((a, b) => a[0] - b[0])) {
      const positions = axisPositions(expr, choose);
      if (positions.length === dims[axis] && positions.every((p, i) => p === i)) continue;
      bytes = gatherAxis(bytes, dims, size, axis, positions);
      dims = dims.map((d, i) => (i === axis ? positions.length : d));
      changed = true;
    }
    const scaleAxis = scaleAxes.get(name);
    let factor = 1;
    if (scaleAxis !== undefined && dims[scaleAxis] !== before[scaleAxis]) {
      factor = Math.sqrt(before[scaleAxis] / dims[scaleAxis]);
      bytes = scaleBytes(tensor, bytes, factor, changed); // a sliced buffer is ours to scale in place
      scaled.push({ tensor: name, factor });
      changed = true;
    }
    if (changed) graph.replaceInitializer(tensorWithBytes(tensor, bytes, { dims }));
  }
  return scaled;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Multiplies a float tensor's values, keeping its element type (in place when `owned`). */
function scaleBytes(t: TensorProto, bytes: Uint8Array, factor: number, owned: boolean): Uint8Array {
  if (t.dataType === DataType.FLOAT) {
    const out = owned && bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes);
    const values = new Float32Array(out.buffer, out.byteOffset, out.byteLength / 4);
    for (let i = 0; i < values.length; i++) values[i] *= factor;
    return out;
  }
  const values = bytesToFloat32(t.dataType, bytes, t.name).slice();
  for (let i = 0; i < values.length; i++) values[i] *= factor;
  switch (t.dataType) {
    case DataType.FLOAT16:
      return new Uint8Array(float32ToFloat16(values).buffer);
    case DataType.BFLOAT16:
      return new Uint8Array(float32ToBfloat16(values).buffer);
    case DataType.DOUBLE:
      return new Uint8Array(Float64Array.from(values).buffer);
    default:
      throw new SubcloneError('Unsupported', `cannot rescale ${quote(t.name)}: not a float tensor`);
  }
}
