import { inputRoles, type InputRoles } from '../data/inputRoles';
import type { ParamRole, TransformerMap } from '../recognize/transformerMap';

/**
 * What training needs to know about a model: which output the loss reads, which inputs carry the batch, and which
 * initializers are parameters. Built from the recognizer's TransformerMap (trainingTargetFromMap); tests build it
 * from fixture ground truth.
 */
export type TrainingKind = 'lm' | 'classifier' | 'hidden';

export interface TrainingParam {
  /** The initializer. */
  name: string;
  role: ParamRole;
  /** Whether AdamW's decoupled weight decay applies (not to norms, biases or embeddings by default). */
  decay: boolean;
  /**
   * Set on a stored copy of another parameter (a tied LM head exported twice): the copy is not trained on its own;
   * it is kept equal to `copyOf` (transposed when the shapes say so).
   */
  copyOf?: string;
}

export interface TrainingTarget {
  /** lm: next-token (or masked-token) cross-entropy over [B, T, V]; classifier: [B, C]; hidden: MSE on [B, T, D]. */
  kind: TrainingKind;
  /** The value the loss reads (a graph output or any value of the graph). */
  output: string;
  inputs: InputRoles;
  params: TrainingParam[];
  /** For lm: whether the model predicts the next token (decoders) rather than masked tokens (encoders). */
  causal?: boolean;
  /** Number of transformer blocks (random init scales residual output projections by 1/sqrt(2·layers)). */
  layers: number;
}

const NO_DECAY = /^(norm\.|embedding\.)|bias$/;

/** The default weight-decay choice for a role: matrices decay; norms, biases and embeddings do not. */
export function decaysByDefault(role: ParamRole, rank: number): boolean {
  if (NO_DECAY.test(role)) return false;
  return rank >= 2;
}

/** The training view of a recognised transformer. */
export function trainingTargetFromMap(map: TransformerMap): TrainingTarget {
  const head = map.final.head;
  const kind: TrainingKind = head?.kind === 'lm' ? 'lm' : head?.kind === 'classifier' ? 'classifier' : 'hidden';
  const output = head?.output ?? map.final.hidden;
  const names = new Set(map.params.map((p) => p.name));
  // Of two stored copies, the token embedding is the one trained; the other (the head) follows it.
  const params: TrainingParam[] = map.params.map((p) => {
    const copyOf = p.tiedTo && p.role !== 'embedding.token' && names.has(p.tiedTo) ? p.tiedTo : undefined;
    const param: TrainingParam = { name: p.name, role: p.role, decay: decaysByDefault(copyOf ? 'embedding.token' : p.role, p.dims.length) };
    return copyOf ? { ...param, copyOf } : param;
  });
  const causal = map.family !== 'bert' && map.family !== 'vit';
  return { kind, output, causal, inputs: inputRoles(map.inputs.map((v) => ({ name: v.name, dtype: v.dtype, rank: v.shape?.length ?? 0 }))), params, layers: map.dims.layers };
}
