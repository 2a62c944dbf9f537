import type { AxisAnalysis } from '../coupling/axisAnalysis';
import type { Atom } from '../coupling/atoms';
import type { Graph } from '../graph/graph';
import { attrInt } from '../graph/attributes';
import type { NodeProto } from '../onnx/proto';
import { tensorDims } from '../onnx/tensorValues';
import type { LinearInfo } from './transformerMap';
import { isStoredTensor, storedTensor } from '../coupling/storedTensors';

/** A MatMul/Gemm with a stored weight, with the classes of its input and output axes. */
export interface Linear extends LinearInfo {
  matmul: NodeProto;
  /** The activation it multiplies. */
  input: string;
  /** Its result, after the bias add when there is one. */
  output: string;
  inClass: Atom;
  outClass: Atom;
}

const WEIGHT_PASS_OPS = new Set(['Transpose', 'Cast', 'Identity', 'CastLike']);

/** The initializer a weight operand comes from through Transpose/Cast/Identity, or undefined. */
export function weightInitializer(graph: Graph, value: string): string | undefined {
  let v = value;
  for (let i = 0; i < 6; i++) {
    if (isStoredTensor(graph, v)) return v;
    const p = graph.producer(v);
    if (!p || !WEIGHT_PASS_OPS.has(p.opType)) return undefined;
    v = p.input[0];
  }
  return undefined;
}

/**
 * A Gemm works on rows: exporters flatten [B, T, in] to [B·T, in] before it (addmm) and restore [B, T, out] after.
 * The layer's result is the restored value, where its consumers (a pooler's Tanh, the residual add) are.
 */
function unflattened(graph: Graph, analysis: AxisAnalysis, output: string, outClass: Atom): string {
  const uses = graph.consumers(output);
  const reshape = uses.length === 1 && uses[0].node.opType === 'Reshape' && uses[0].index === 0 ? uses[0].node : undefined;
  return reshape && analysis.axes(reshape.output[0]).length > 0 && analysis.classOf(reshape.output[0], -1) === outClass ? reshape.output[0] : output;
}

/** Finds every linear layer: MatMul or Gemm whose one operand is a stored 2-D weight. */
export function findLinears(graph: Graph, analysis: AxisAnalysis): Linear[] {
  const out: Linear[] = [];
  for (const node of graph.nodes) {
    if (node.opType !== 'MatMul' && node.opType !== 'Gemm') continue;
    const wIndex = [1, 0].find((i) => {
      const w = weightInitializer(graph, node.input[i]);
      return w !== undefined && tensorDims(storedTensor(graph, w)!).length === 2;
    });
    if (wIndex === undefined) continue;
    const weight = weightInitializer(graph, node.input[wIndex])!;
    const input = node.input[1 - wIndex];
    const inputAxes = analysis.axes(input);
    if (inputAxes.length === 0) continue;
    let inClass: Atom;
    if (node.opType === 'Gemm') {
      const transA = attrInt(node, 'transA', 0);
      inClass = analysis.classOf(input, transA ? 0 : 1);
    } else {
      inClass = wIndex === 1 ? analysis.classOf(input, -1) : analysis.classOf(input, -2);
    }
    const wClasses = [0, 1].map((a) => analysis.classOf(weight, a));
    const inAxis = wClasses[0] === inClass ? 0 : wClasses[1] === inClass ? 1 : -1;
    if (inAxis < 0) continue;
    const outAxis = 1 - inAxis;
    const outClass = wClasses[outAxis];
    let output = node.output[0];
    let bias: string | null = null;
    if (node.opType === 'Gemm' && node.input[2] && weightInitializer(graph, node.input[2])) {
      bias = weightInitializer(graph, node.input[2])!;
      output = unflattened(graph, analysis, output, outClass);
    } else {
      const uses = graph.consumers(output);
      const add = uses.length === 1 && uses[0].node.opType === 'Add' ? uses[0].node : undefined;
      const other = add?.input.find((i) => i !== output);
      if (add && other && weightInitializer(graph, other) && analysis.axes(other).length === 1 && analysis.classOf(other, 0) === outClass) {
        bias = weightInitializer(graph, other)!;
        output = add.output[0];
      } else if (node.opType === 'Gemm') {
        output = unflattened(graph, analysis, output, outClass);
      }
    }
    out.push({ node: node.name, matmul: node, weight, bias, inAxis, outAxis, input, output, inClass, outClass });
  }
  return out;
}
