import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import type { ParamRole } from '../../../src/core/recognize/transformerMap';
import { LOSS_TARGETS, LOSS_WEIGHTS } from '../../../src/core/train/loss';
import { decaysByDefault, type TrainingParam, type TrainingTarget } from '../../../src/core/train/target';
import { inputRoles } from '../../../src/core/data/inputRoles';
import { repoRoot } from '../../helpers/paths';
import { readRefs, type RefTensor } from '../../helpers/refs';

/** The parts of a fixture's truth.json these tests read. */
export interface Truth {
  id: string;
  family: string | null;
  model: string;
  dims: { layers: number } | null;
  flavour: { head: string } | null;
  export: { weights: string };
  inputs: Record<string, { dtype: string; shape: number[] }>;
  paramMap: Record<string, { initializer: string; transposed: boolean }[]>;
  loss: { kind: string; output: string; value: number };
}

export interface FixtureCase {
  id: string;
  truth: Truth;
  model: OnnxModel;
  target: TrainingTarget;
  /** The fixed batch of the reference run, as model inputs. */
  feeds: Record<string, ort.Tensor>;
  /** The reference loss definition expressed as the training graph's loss inputs. */
  lossFeeds: Record<string, ort.Tensor>;
  refs: Map<string, RefTensor>;
}

/** Reads a fixture folder (test/fixtures/models/<id> or test/fixtures/shared-refs/<name>). */
export function loadFixture(dir: string): FixtureCase {
  const truth = JSON.parse(fs.readFileSync(path.join(dir, 'truth.json'), 'utf8')) as Truth;
  const modelPath = truth.model.startsWith('..') ? path.resolve(repoRoot, truth.model) : path.join(dir, truth.model);
  const model = OnnxModel.load(modelPath);
  const refs = readRefs(dir);
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of Object.keys(truth.inputs)) feeds[name] = toTensor(refs.get(`input:${name}`)!);
  return { id: truth.id, truth, model, target: targetFromTruth(truth, model), feeds, lossFeeds: lossFeeds(truth, refs), refs };
}

/** A TrainingTarget from the fixture's ground truth (what recognize() will produce from the graph). */
export function targetFromTruth(truth: Truth, model: OnnxModel): TrainingTarget {
  const kind = truth.loss.kind === 'masked_mse' ? 'hidden' : truth.loss.kind === 'classification_ce' ? 'classifier' : 'lm';
  const initDims = new Map(model.graph.initializer.map((t) => [t.name, t.dims.length]));
  const params = new Map<string, TrainingParam>();
  for (const [torchName, copies] of Object.entries(truth.paramMap)) {
    const primary = copies.find((c) => !c.transposed) ?? copies[0];
    const role = roleOf(torchName);
    for (const c of copies) {
      if (params.has(c.initializer)) continue;
      const copyOf = c.initializer === primary.initializer ? undefined : primary.initializer;
      const decay = decaysByDefault(copyOf ? 'embedding.token' : role, initDims.get(c.initializer) ?? 0);
      params.set(c.initializer, copyOf ? { name: c.initializer, role, decay, copyOf } : { name: c.initializer, role, decay });
    }
  }
  const inputs = inputRoles(Object.entries(truth.inputs).map(([name, v]) => ({ name, dtype: v.dtype, rank: v.shape.length })));
  return { kind, output: truth.loss.output, inputs, params: [...params.values()], layers: truth.dims?.layers ?? 1 };
}

function roleOf(torchName: string): ParamRole {
  const n = torchName.toLowerCase();
  const norm = /(ln_|layernorm|norm)/.test(n);
  if (norm) return n.endsWith('bias') ? 'norm.bias' : 'norm.weight';
  if (/(wte|word_embeddings|embed_tokens|embed_in)/.test(n)) return 'embedding.token';
  if (/(wpe|position_embeddings)/.test(n)) return 'embedding.position';
  if (/token_type/.test(n)) return 'embedding.tokenType';
  if (/(cls_token|distillation_token)/.test(n)) return 'embedding.special';
  if (/patch_embeddings/.test(n)) return n.endsWith('bias') ? 'embedding.patchBias' : 'embedding.patch';
  if (/(attn\.c_proj|attention\.output\.dense|o_proj|attention\.dense)/.test(n)) return n.endsWith('bias') ? 'attn.out.bias' : 'attn.out.weight';
  if (/(mlp\.c_proj|output\.dense|down_proj|dense_4h_to_h)/.test(n)) return n.endsWith('bias') ? 'mlp.down.bias' : 'mlp.down.weight';
  if (/(attn|attention|q_proj|k_proj|v_proj)/.test(n)) return n.endsWith('bias') ? 'attn.bias' : 'attn.weight';
  if (/(mlp|intermediate|gate_proj|up_proj)/.test(n)) return n.endsWith('bias') ? 'mlp.bias' : 'mlp.weight';
  if (/(lm_head|classifier|decoder|embed_out|predictions)/.test(n)) return n.endsWith('bias') ? 'head.bias' : 'head.weight';
  if (/pooler/.test(n)) return n.endsWith('bias') ? 'pooler.bias' : 'pooler.weight';
  return 'other';
}

export function toTensor(r: RefTensor): ort.Tensor {
  if (r.dtype === 'int64') return new ort.Tensor('int64', r.data as BigInt64Array, r.shape);
  if (r.dtype === 'float16') return new ort.Tensor('float16', r.data as Uint16Array, r.shape);
  return new ort.Tensor('float32', r.data as Float32Array, r.shape);
}

/** The reference loss as loss/targets + loss/weights (weights chosen so the weighted sum is the reference mean). */
function lossFeeds(truth: Truth, refs: Map<string, RefTensor>): Record<string, ort.Tensor> {
  const kind = truth.loss.kind;
  if (kind === 'causal_lm_ce') {
    const labels = refs.get('label:lm_targets')!;
    const [b, s1] = labels.shape;
    const ids = labels.data as BigInt64Array;
    const targets = new BigInt64Array(b * (s1 + 1));
    const weights = new Float32Array(b * (s1 + 1));
    let count = 0;
    for (const v of ids) if (v !== -100n) count++;
    for (let i = 0; i < b; i++) {
      for (let t = 0; t < s1; t++) {
        const v = ids[i * s1 + t];
        if (v === -100n) continue;
        targets[i * (s1 + 1) + t] = v;
        weights[i * (s1 + 1) + t] = 1 / count;
      }
    }
    return { [LOSS_TARGETS]: new ort.Tensor('int64', targets, [b, s1 + 1]), [LOSS_WEIGHTS]: new ort.Tensor('float32', weights, [b, s1 + 1]) };
  }
  if (kind === 'mlm_ce') {
    const positions = refs.get('label:mlm_positions')!.data as BigInt64Array;
    const labels = refs.get('label:mlm_targets')!.data as BigInt64Array;
    const [b, s] = refs.get('input:input_ids')!.shape;
    const targets = new BigInt64Array(b * s);
    const weights = new Float32Array(b * s);
    for (let k = 0; k < labels.length; k++) {
      const at = Number(positions[2 * k]) * s + Number(positions[2 * k + 1]);
      targets[at] = labels[k];
      weights[at] += 1 / labels.length;
    }
    return { [LOSS_TARGETS]: new ort.Tensor('int64', targets, [b, s]), [LOSS_WEIGHTS]: new ort.Tensor('float32', weights, [b, s]) };
  }
  if (kind === 'masked_mse') {
    const target = refs.get('target')!;
    const mask = refs.get('label:token_mask')!;
    const d = target.shape[target.shape.length - 1];
    const m = Array.from(mask.data as BigInt64Array | Float32Array, Number);
    const total = m.reduce((p, v) => p + v, 0) * d;
    return {
      [LOSS_TARGETS]: new ort.Tensor('float32', target.data as Float32Array, target.shape),
      [LOSS_WEIGHTS]: new ort.Tensor('float32', Float32Array.from(m, (v) => v / total), mask.shape),
    };
  }
  if (kind === 'classification_ce') {
    const labels = refs.get('label:classes')!;
    const n = labels.shape[0];
    return { [LOSS_TARGETS]: new ort.Tensor('int64', labels.data as BigInt64Array, [n]), [LOSS_WEIGHTS]: new ort.Tensor('float32', new Float32Array(n).fill(1 / n), [n]) };
  }
  throw new Error(`fixture ${truth.id}: unknown loss kind ${kind}`);
}
