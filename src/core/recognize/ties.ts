import type { AxisAnalysis } from '../coupling/axisAnalysis';
import type { Graph } from '../graph/graph';
import type { OnnxModel } from '../onnx/onnxModel';
import { isFloatType } from '../onnx/dataType';
import { tensorDims } from '../onnx/tensorValues';
import { quote } from '../quote';

/** A stored copy of the token embedding (possibly transposed): the tie PyTorch exports as two initializers. */
export interface TiedCopy {
  copy: string;
  transposed: boolean;
}

/**
 * Finds initializers holding the same values as the token embedding table (as is, or transposed), and makes the
 * coupling analysis treat their axes as the table's: tied weights must stay tied, so their embedding axis is D.
 */
export function findTiedCopies(model: OnnxModel, graph: Graph, analysis: AxisAnalysis, table: string): TiedCopy[] {
  const t = graph.initializer(table);
  if (!t) return [];
  const [rows, cols] = tensorDims(t);
  let values: Float32Array | undefined; // read only when a candidate has the table's shape
  const copies: TiedCopy[] = [];
  for (const c of graph.proto.initializer) {
    if (c.name === table || !isFloatType(c.dataType) || c.dataType !== t.dataType) continue;
    const d = tensorDims(c);
    if (d.length !== 2) continue;
    const same = d[0] === rows && d[1] === cols;
    const transposed = d[0] === cols && d[1] === rows;
    if (!same && !transposed) continue;
    values ??= model.float32(t);
    if (!equalValues(values, model.float32(c), rows, cols, transposed)) continue;
    copies.push({ copy: c.name, transposed });
    const [rowAxis, colAxis] = transposed ? [1, 0] : [0, 1];
    analysis.table.unify(analysis.classOf(c.name, rowAxis), analysis.classOf(table, 0), `tied copy ${quote(c.name)}`);
    analysis.table.unify(analysis.classOf(c.name, colAxis), analysis.classOf(table, 1), `tied copy ${quote(c.name)}`);
  }
  return copies;
}

function equalValues(a: Float32Array, b: Float32Array, rows: number, cols: number, transposed: boolean): boolean {
  if (!transposed) {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) if (a[r * cols + c] !== b[c * rows + r]) return false;
  return true;
}
