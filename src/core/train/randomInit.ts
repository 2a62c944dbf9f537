import { SubcloneError } from '../errors';
import type { OnnxModel } from '../onnx/onnxModel';
import { tensorDims } from '../onnx/tensorValues';
import { Rng } from '../random/rng';
import type { TrainingParam, TrainingTarget } from './target';
import { resolveTiedCopy, transposeInto } from './tiedCopies';
import { modelWithWeights } from './weights';
import { quote } from '../quote';

/** GPT-2's initialisation scale. */
export const INIT_STD = 0.02;

/**
 * Fresh values for every parameter of the target, GPT-2 style: weights and embeddings normal(0, 0.02), the
 * residual output projections (attention out, MLP down) normal(0, 0.02/sqrt(2·layers)), norm scales 1, norm
 * shifts and biases 0. Each tensor draws from its own stream (seed, name), so values do not depend on parameter
 * order. Tied copies get their parameter's values (transposed where stored transposed).
 */
export function randomInitValues(model: OnnxModel, target: TrainingTarget, seed: number): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [name, values] of randomInitTensors(model, target, seed, out)) out.set(name, values);
  return out;
}

/**
 * randomInitValues one parameter at a time (parameters first, then tied copies), so a caller that stores each
 * tensor as it comes holds one at a time. A tied copy's parameter is drawn again unless `known` already holds it.
 */
export function* randomInitTensors(model: OnnxModel, target: TrainingTarget, seed: number, known?: ReadonlyMap<string, Float32Array>): Generator<[string, Float32Array]> {
  const inits = new Map(model.graph.initializer.map((t) => [t.name, t]));
  const residualStd = INIT_STD / Math.sqrt(2 * Math.max(1, target.layers));
  const draw = (p: TrainingParam): Float32Array => {
    const t = inits.get(p.name);
    if (!t) throw new SubcloneError('BadModel', `parameter ${quote(p.name)} is not an initializer`);
    const dims = tensorDims(t);
    const values = new Float32Array(dims.reduce((a, b) => a * b, 1));
    const kind = initKind(p, dims.length);
    if (kind === 'one') values.fill(1);
    else if (kind !== 'zero') new Rng(seed, `init:${p.name}`).fillNormal(values, kind === 'residual' ? residualStd : INIT_STD);
    return values;
  };
  const params = new Map(target.params.filter((x) => !x.copyOf).map((p) => [p.name, p]));
  // How each copy is tied, read from the model's values before any are replaced (a caller may write as we go).
  const copies = target.params.filter((x) => x.copyOf).map((p) => {
    const source = params.get(p.copyOf!);
    if (!source) throw new SubcloneError('BadModel', `parameter ${quote(p.name)} copies ${quote(p.copyOf!)}, which is not a parameter`);
    return { p, source, transposed: resolveTiedCopy(model, inits.get(p.name)!, inits.get(p.copyOf!)!).transposed };
  });
  for (const p of params.values()) yield [p.name, draw(p)];
  for (const { p, source, transposed } of copies) {
    const of = known?.get(source.name) ?? draw(source);
    const [rows, cols] = tensorDims(inits.get(p.copyOf!)!);
    yield [p.name, transposed ? transposeInto(of, rows, cols, new Float32Array(of.length)) : Float32Array.from(of)];
  }
}

/** A copy of the model with randomly initialised parameters (same graph, same data order for a convergence run). */
export function randomInit(model: OnnxModel, target: TrainingTarget, seed: number): OnnxModel {
  return modelWithWeights(model, randomInitValues(model, target, seed));
}

function initKind(p: TrainingParam, rank: number): 'one' | 'zero' | 'normal' | 'residual' {
  if (p.role === 'norm.weight') return 'one';
  if (p.role === 'norm.bias' || /bias$/i.test(p.role) || p.role === 'embedding.patchBias') return 'zero';
  if (p.role === 'attn.out.weight' || p.role === 'mlp.down.weight') return 'residual';
  if (p.role === 'other' && rank < 2) return 'zero';
  return 'normal';
}
