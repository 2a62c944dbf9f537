import type { NodeProto } from '../../onnx/proto';
import type { Emitter } from '../emitter';
import type { TensorInfo } from '../tensorInfo';

/** What a vector-Jacobian rule sees of the node it differentiates. */
export interface VjpContext {
  readonly e: Emitter;
  readonly node: NodeProto;
  /** The graph's default-domain opset. */
  readonly opset: number;
  /** Static shape and type of any forward value (inputs and outputs of the node included). */
  info(value: string): TensorInfo;
  /** The gradient arriving at output `i`, or undefined when none flows there. */
  dy(i: number): string | undefined;
  /** Whether input `i` needs a gradient. */
  needs(i: number): boolean;
  /** The values of input `i` when it is a small constant (shape plumbing is folded before differentiation). */
  constant(i: number): number[] | undefined;
  /** Whether input `i` is a constant of any size (an initializer). */
  isConstant(i: number): boolean;
  /** Makes sure optional output `i` of the forward node exists and returns its name. */
  ensureOutput(i: number, info: TensorInfo): string;
}

/**
 * A vector-Jacobian product: given the gradients of a node's outputs, emits the gradients of its inputs with
 * standard ONNX ops. Returns one entry per input (undefined where no gradient is needed or defined); each entry
 * has exactly the input's shape and type.
 */
export type VjpRule = (ctx: VjpContext) => (string | undefined)[];

export type RuleTable = Record<string, VjpRule>;
