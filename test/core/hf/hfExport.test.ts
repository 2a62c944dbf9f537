import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { SubcloneError } from '../../../src/core/errors';
import { hfLayoutProblem, hfModelType, hfParameters } from '../../../src/core/hf/hfLayout';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { recognize } from '../../../src/core/recognize/recognize';
import { openCheckpoint } from '../../../src/core/checkpoint/openCheckpoint';
import { openSafetensors } from '../../../src/core/safetensors/reader';
import { subclone } from '../../../src/core/subclone/subclone';
import type { SubcloneShape } from '../../../src/core/subclone/shape';
import { floatOutput } from '../../../src/core/eval/modelLoss';
import { fixturePath, repoRoot, tempDir } from '../../helpers/paths';
import { int64Tensor } from '../../helpers/ort';
import { Rng } from '../../../src/core/random/rng';

const PYTHON = '/usr/bin/python3';
const CHECK = path.join(repoRoot, 'scripts', 'fixtures', 'hf_check.py');
const IDS = [[3, 17, 42, 5, 9, 60, 1, 33], [8, 2, 71, 14, 0, 27, 50, 11]];
/** BERT's inputs: both token types, and the second row's last position masked out. */
const TOKEN_TYPES = [[0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1, 1, 1]];
const MASK = [[1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1, 0]];

function torchMissing(): string | undefined {
  if (!fs.existsSync(PYTHON)) return `${PYTHON} is missing`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  return probe.status === 0 ? undefined : `${PYTHON} has no torch (${probe.stderr.trim().split('\n').pop()})`;
}

/** The inputs both sides get: token ids (with masks and token types for encoders), or seeded pixel values. */
type Inputs = { input_ids: number[][]; attention_mask?: number[][]; token_type_ids?: number[][] } | { pixel_values: { dims: number[]; values: Float32Array } };

/** An encoder gets the mask, and token types where its config has more than one (RoBERTa has one, and no input for it). */
function textInputs(encoder: boolean, typeVocab = 1): Inputs {
  if (!encoder) return { input_ids: IDS };
  return typeVocab > 1 ? { input_ids: IDS, attention_mask: MASK, token_type_ids: TOKEN_TYPES } : { input_ids: IDS, attention_mask: MASK };
}

function pixelInputs(config: { image_size: number; num_channels: number }): Inputs {
  const rng = new Rng(7);
  const dims = [2, config.num_channels, config.image_size, config.image_size];
  return { pixel_values: { dims, values: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rng.normal()) } };
}

/** Nested arrays of the given dims, for JSON. */
function nested(values: ArrayLike<number>, dims: number[]): unknown {
  if (dims.length === 1) return Array.from(values);
  const step = values.length / dims[0];
  return Array.from({ length: dims[0] }, (_, i) => nested(Array.prototype.slice.call(values, i * step, (i + 1) * step), dims.slice(1)));
}

interface MirrorResult {
  output: string;
  dims: number[];
  logits: number[];
  outputs: Record<string, { dims: number[]; values: number[] }>;
  stored: string[];
  tied: boolean;
}

/** The mirror's outputs for an HF folder (strict load_state_dict), from scripts/fixtures/hf_check.py. */
function mirrorOutputs(folder: string, inputs: Inputs = { input_ids: IDS }): MirrorResult {
  const arg = 'pixel_values' in inputs ? { pixel_values: nested(inputs.pixel_values.values, inputs.pixel_values.dims) } : Object.keys(inputs).length === 1 ? inputs.input_ids : inputs;
  const run = spawnSync(PYTHON, ['-B', CHECK, folder, JSON.stringify(arg)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(run.status, 0, `hf_check.py failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** The child's own model.onnx on the same inputs in onnxruntime: every output. */
async function onnxOutputs(file: string, inputs: Inputs = { input_ids: IDS }): Promise<Record<string, { dims: number[]; values: Float32Array }>> {
  const session = await ort.InferenceSession.create(file, { logSeverityLevel: 3 });
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) {
      if ('pixel_values' in inputs) {
        feeds[name] = new ort.Tensor('float32', inputs.pixel_values.values, inputs.pixel_values.dims);
        continue;
      }
      const [B, T] = [inputs.input_ids.length, inputs.input_ids[0].length];
      const ids = (rows: number[][]) => int64Tensor(rows.flat(), [B, T]);
      if (name.includes('mask')) feeds[name] = ids(inputs.attention_mask ?? inputs.input_ids.map((r) => r.map(() => 1)));
      else if (name.includes('token_type')) feeds[name] = ids(inputs.token_type_ids ?? inputs.input_ids.map((r) => r.map(() => 0)));
      else if (name.includes('position')) feeds[name] = int64Tensor(Array.from({ length: B * T }, (_, i) => i % T), [B, T]);
      else feeds[name] = ids(inputs.input_ids);
    }
    const out = await session.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([name, t]) => [name, { dims: [...t.dims], values: floatOutput(t) }]));
  } finally {
    await session.release();
  }
}

/** The largest |mirror − onnx| over an output, and the largest |onnx| it is measured against. */
function difference(mirror: { dims: number[]; values: number[] }, onnx: { dims: number[]; values: Float32Array }): { worst: number; scale: number } {
  assert.deepEqual(mirror.dims, onnx.dims);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < onnx.values.length; i++) {
    worst = Math.max(worst, Math.abs(mirror.values[i] - onnx.values[i]));
    scale = Math.max(scale, Math.abs(onnx.values[i]));
  }
  return { worst, scale };
}

interface Case {
  id: string;
  shape: SubcloneShape;
  /** The HF class config.json's architectures names, and the model type. */
  architecture: string;
  modelType: string;
  /** The top-level HF names. */
  names: string[];
  /** Block 0's HF names, exactly (every block has as many). */
  block: string[];
  /** Names a tied or shared copy would have, which must not be stored. */
  absent?: string[];
  /** The config's size fields: layers, hidden, heads, FFN (and KV heads where the family has them). */
  sizes: Record<string, number>;
  inputs?: 'text' | 'encoder' | 'pixels';
}

const GPT2_BLOCK = ['ln_1.weight', 'ln_1.bias', 'attn.c_attn.weight', 'attn.c_attn.bias', 'attn.c_proj.weight', 'attn.c_proj.bias', 'ln_2.weight', 'ln_2.bias', 'mlp.c_fc.weight', 'mlp.c_fc.bias', 'mlp.c_proj.weight', 'mlp.c_proj.bias'].map((n) => `transformer.h.0.${n}`);
const LLAMA_BLOCK = ['input_layernorm.weight', 'self_attn.q_proj.weight', 'self_attn.k_proj.weight', 'self_attn.v_proj.weight', 'self_attn.o_proj.weight', 'post_attention_layernorm.weight', 'mlp.gate_proj.weight', 'mlp.up_proj.weight', 'mlp.down_proj.weight'].map((n) => `model.layers.0.${n}`);
const QWEN2_BLOCK = [...LLAMA_BLOCK, ...['q', 'k', 'v'].map((n) => `model.layers.0.self_attn.${n}_proj.bias`)];
const NEOX_BLOCK = ['input_layernorm', 'post_attention_layernorm', 'attention.query_key_value', 'attention.dense', 'mlp.dense_h_to_4h', 'mlp.dense_4h_to_h'].flatMap((m) => [`gpt_neox.layers.0.${m}.weight`, `gpt_neox.layers.0.${m}.bias`]);
const bertBlock = (prefix: string) =>
  ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense', 'attention.output.LayerNorm', 'intermediate.dense', 'output.dense', 'output.LayerNorm'].flatMap((m) => [`${prefix}encoder.layer.0.${m}.weight`, `${prefix}encoder.layer.0.${m}.bias`]);
const bertEmbeddings = (prefix: string) => ['word_embeddings.weight', 'position_embeddings.weight', 'token_type_embeddings.weight', 'LayerNorm.weight', 'LayerNorm.bias'].map((n) => `${prefix}embeddings.${n}`);
const vitBlock = (prefix: string) =>
  ['attention.attention.query', 'attention.attention.key', 'attention.attention.value', 'attention.output.dense', 'intermediate.dense', 'output.dense', 'layernorm_before', 'layernorm_after'].flatMap((m) => [`${prefix}encoder.layer.0.${m}.weight`, `${prefix}encoder.layer.0.${m}.bias`]);
const vitEmbeddings = (prefix: string) => ['cls_token', 'position_embeddings', 'patch_embeddings.projection.weight', 'patch_embeddings.projection.bias'].map((n) => `${prefix}embeddings.${n}`);
const mhaSizes = (s: SubcloneShape) => ({ num_hidden_layers: s.layers, hidden_size: s.dModel, num_attention_heads: s.heads, intermediate_size: s.ffn as number });
const llamaSizes = (s: SubcloneShape) => ({ ...mhaSizes(s), num_key_value_heads: s.kvHeads });
const gpt2Sizes = (s: SubcloneShape) => ({ n_layer: s.layers, n_embd: s.dModel, n_head: s.heads, n_inner: s.ffn as number });
const withSizes = (c: Omit<Case, 'sizes'>, sizes: (s: SubcloneShape) => Record<string, number>): Case => ({ ...c, sizes: sizes(c.shape) });

const CASES: Case[] = [
  withSizes({ id: 'gpt2-op17', shape: { layers: 2, dModel: 32, heads: 4, kvHeads: 4, ffn: 64 }, architecture: 'GPT2LMHeadModel', modelType: 'gpt2', names: ['transformer.wte.weight', 'transformer.wpe.weight', 'transformer.ln_f.weight', 'lm_head.weight'], block: GPT2_BLOCK }, gpt2Sizes),
  withSizes({ id: 'gpt2-op17-fp16w', shape: { layers: 1, dModel: 16, heads: 1, kvHeads: 1, ffn: 48 }, architecture: 'GPT2LMHeadModel', modelType: 'gpt2', names: ['transformer.wte.weight'], block: GPT2_BLOCK, absent: ['lm_head.weight'] }, gpt2Sizes),
  withSizes({ id: 'llama-op17', shape: { layers: 2, dModel: 40, heads: 4, kvHeads: 2, ffn: 56 }, architecture: 'LlamaForCausalLM', modelType: 'llama', names: ['model.embed_tokens.weight', 'model.norm.weight', 'lm_head.weight'], block: LLAMA_BLOCK }, llamaSizes),
  withSizes({ id: 'llama-op17-mha-tied', shape: { layers: 1, dModel: 24, heads: 2, kvHeads: 2, ffn: 40 }, architecture: 'LlamaForCausalLM', modelType: 'llama', names: ['model.embed_tokens.weight', 'model.norm.weight'], block: LLAMA_BLOCK, absent: ['lm_head.weight'] }, llamaSizes),
  withSizes({ id: 'qwen2-op17', shape: { layers: 2, dModel: 24, heads: 4, kvHeads: 2, ffn: 64 }, architecture: 'Qwen2ForCausalLM', modelType: 'qwen2', names: ['model.embed_tokens.weight', 'model.norm.weight', 'lm_head.weight'], block: QWEN2_BLOCK }, llamaSizes),
  // Parallel residual, query_key_value fused per head [H, 3, hd], 4 of 16 head dims rotated, untied embed_out.
  withSizes({ id: 'gptneox-op17', shape: { layers: 2, dModel: 16, heads: 1, kvHeads: 1, ffn: 48 }, architecture: 'GPTNeoXForCausalLM', modelType: 'gpt_neox', names: ['gpt_neox.embed_in.weight', 'gpt_neox.final_layer_norm.weight', 'gpt_neox.final_layer_norm.bias', 'embed_out.weight'], block: NEOX_BLOCK, absent: ['embed_out.bias'] }, mhaSizes),
  // Post-LN with token types; the pooler's Gemm (transB) and the rest's MatMul orientations.
  withSizes({ id: 'bert-op14', shape: { layers: 1, dModel: 24, heads: 3, kvHeads: 3, ffn: 40 }, architecture: 'BertModel', modelType: 'bert', names: [...bertEmbeddings(''), 'pooler.dense.weight', 'pooler.dense.bias'], block: bertBlock(''), inputs: 'encoder' }, mhaSizes),
  // The decoder is tied to the word embeddings and its bias is cls.predictions.bias: both stored once.
  withSizes({ id: 'bert-op17-mlm', shape: { layers: 2, dModel: 24, heads: 3, kvHeads: 3, ffn: 64 }, architecture: 'BertForMaskedLM', modelType: 'bert', names: [...bertEmbeddings('bert.'), 'cls.predictions.transform.dense.weight', 'cls.predictions.transform.dense.bias', 'cls.predictions.transform.LayerNorm.weight', 'cls.predictions.transform.LayerNorm.bias', 'cls.predictions.bias'], block: bertBlock('bert.'), absent: ['cls.predictions.decoder.weight', 'cls.predictions.decoder.bias', 'bert.pooler.dense.weight'], inputs: 'encoder' }, mhaSizes),
  // No pooler in the graph, none in the file; positions offset by padding_idx, one token type.
  withSizes({ id: 'roberta-op17', shape: { layers: 1, dModel: 32, heads: 4, kvHeads: 4, ffn: 64 }, architecture: 'RobertaModel', modelType: 'roberta', names: bertEmbeddings(''), block: bertBlock(''), absent: ['pooler.dense.weight'], inputs: 'encoder' }, mhaSizes),
  withSizes({ id: 'vit-op17', shape: { layers: 1, dModel: 16, heads: 1, kvHeads: 1, ffn: 40 }, architecture: 'ViTForImageClassification', modelType: 'vit', names: [...vitEmbeddings('vit.'), 'vit.layernorm.weight', 'vit.layernorm.bias', 'classifier.weight', 'classifier.bias'], block: vitBlock('vit.'), absent: ['vit.pooler.dense.weight'], inputs: 'pixels' }, mhaSizes),
  withSizes({ id: 'vit-op14', shape: { layers: 2, dModel: 24, heads: 3, kvHeads: 3, ffn: 56 }, architecture: 'ViTForImageClassification', modelType: 'vit', names: [...vitEmbeddings('vit.'), 'vit.layernorm.weight', 'classifier.weight', 'classifier.bias'], block: vitBlock('vit.'), inputs: 'pixels' }, mhaSizes),
  withSizes({ id: 'deit-op17', shape: { layers: 2, dModel: 24, heads: 3, kvHeads: 3, ffn: 64 }, architecture: 'DeiTForImageClassificationWithTeacher', modelType: 'deit', names: [...vitEmbeddings('deit.'), 'deit.embeddings.distillation_token', 'deit.layernorm.weight', 'cls_classifier.weight', 'cls_classifier.bias', 'distillation_classifier.weight', 'distillation_classifier.bias'], block: vitBlock('deit.'), inputs: 'pixels' }, mhaSizes),
];

const configBeside = (model: string) => JSON.parse(fs.readFileSync(path.join(path.dirname(model), 'config.json'), 'utf8'));

function inputsOf(c: Case, parentConfig: Record<string, number>): Inputs {
  if (c.inputs === 'pixels') return pixelInputs(parentConfig as { image_size: number; num_channels: number });
  return textInputs(c.inputs === 'encoder', parentConfig.type_vocab_size);
}

/**
 * Exports a small random RobertaForMaskedLM from the mirror (scripts/fixtures/family_bert.py) with its config.json into
 * argv[2]: every parameter drawn at random (biases and norms too, so a misplaced one shows), the decoder tied to the
 * word embeddings. Exit 3 when the mirror has no RobertaForMaskedLM.
 */
const ROBERTA_MLM_EXPORT = `
import json, os, sys
sys.path.insert(0, sys.argv[1])
import torch
import family_bert
if not hasattr(family_bert, "RobertaForMaskedLM"):
    sys.exit(3)
c = family_bert.make_config(model_type="roberta", vocab_size=90, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
    intermediate_size=64, max_position_embeddings=20, type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1,
    add_pooling_layer=False, tie_word_embeddings=True, architecture="RobertaForMaskedLM",
    special={"pad": 1, "bos": 0, "eos": 2})
torch.manual_seed(0)
m = family_bert.RobertaForMaskedLM(c).eval()
with torch.no_grad():
    for name, p in m.named_parameters():
        p.copy_(torch.randn_like(p) * (0.1 if "LayerNorm" in name or "layer_norm" in name else 0.3) + (1.0 if name.endswith("orm.weight") else 0.0))
ids = torch.tensor([[0, 5, 6, 7, 2]])
torch.onnx.export(m, (ids, torch.ones_like(ids)), os.path.join(sys.argv[2], "model.onnx"), input_names=["input_ids", "attention_mask"],
    output_names=["logits"], dynamic_axes={n: {0: "batch", 1: "sequence"} for n in ["input_ids", "attention_mask", "logits"]}, opset_version=17)
with open(os.path.join(sys.argv[2], "config.json"), "w") as f:
    json.dump(family_bert.hf_config(c), f, indent=2)
`;

/** Relative differences measured, printed after the run (the report quotes them). */
const measured: string[] = [];

describe('Hugging Face checkpoints written by apply', function () {
  this.timeout(120_000);
  let dir: string;
  let cleanup: () => void;
  before(function () {
    const missing = torchMissing();
    if (missing) this.skip();
    ({ dir, cleanup } = tempDir());
  });
  after(() => cleanup?.());

  after(() => {
    if (measured.length) console.log(`      max |mirror − onnx| / max |onnx|: ${measured.join('; ')}`);
  });

  /**
   * Subclones `parent` to the case's shape, then checks the folder: the mirror's outputs equal the child's
   * model.onnx's, the names (block 0's exactly, every block's count), tied copies absent, the class, the config's
   * size fields and every other field of the parent's config.
   */
  async function checkCase(c: Case, parent: string): Promise<void> {
    const out = path.join(dir, c.id);
    const result = await subclone(parent, { shape: c.shape, data: null, outDir: out });
    assert.deepEqual(result.provenance.output?.onnx, true);
    assert.deepEqual(result.provenance.output?.hf, { modelType: c.modelType }, JSON.stringify(result.provenance.output));
    const parentConfig = configBeside(parent);
    const inputs = inputsOf(c, parentConfig);
    const mirror = mirrorOutputs(out, inputs);
    const onnx = await onnxOutputs(path.join(out, 'model.onnx'), inputs);
    const compared = Object.keys(mirror.outputs).filter((n) => n in onnx);
    assert.ok(compared.includes(mirror.output), `the mirror's ${mirror.output} is not an output of model.onnx (${Object.keys(onnx).join(', ')})`);
    for (const name of compared) {
      const { worst, scale } = difference(mirror.outputs[name], onnx[name]);
      assert.ok(scale > 0 && worst <= 1e-4 * scale, `${name}: max |diff| ${worst} on values up to ${scale}`);
      measured.push(`${c.id} ${name} ${(worst / scale).toExponential(1)}`);
    }
    for (const name of c.names) assert.ok(mirror.stored.includes(name), `${name} is not in model.safetensors (${mirror.stored.join(', ')})`);
    for (const name of c.absent ?? []) assert.ok(!mirror.stored.includes(name), `${name} is stored`);
    const blockZero = c.block[0].slice(0, c.block[0].indexOf('.0.') + 3);
    assert.deepEqual(mirror.stored.filter((n) => n.startsWith(blockZero)).sort(), [...c.block].sort(), "block 0's parameters, exactly");
    const blockAny = new RegExp(`^${blockZero.slice(0, -2).replace(/\./g, '\\.')}\\d+\\.`);
    assert.equal(mirror.stored.filter((n) => blockAny.test(n)).length, c.shape.layers * c.block.length, "every block's parameters, nothing else");
    if (mirror.tied) assert.ok(!mirror.stored.includes('lm_head.weight'), 'a tied head is stored once, as the token table');
    const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    assert.deepEqual(config.architectures, [c.architecture]);
    assert.equal(config.model_type, c.modelType);
    for (const [k, v] of Object.entries(c.sizes)) assert.equal(config[k], v, `config.json's ${k}`);
    for (const [k, v] of Object.entries(parentConfig)) if (!SIZE_KEYS.has(k)) assert.deepEqual(config[k], v, `config.json's ${k} is the parent's`);
    for (const k of Object.keys(config)) assert.ok(k in parentConfig || k in c.sizes, `config.json gained ${k}`);
  }

  for (const c of CASES) {
    it(`${c.id} → ${c.shape.layers}L×${c.shape.dModel}: ${c.architecture} loads model.safetensors strictly and gives the outputs of the child's model.onnx`, async () => {
      await checkCase(c, fixturePath(c.id));
    });
  }

  it('an export whose initializer names were lost (onnx::MatMul_…): the HF names come from the recognised roles', async () => {
    const parent = OnnxModel.load(fixturePath('llama-op17'));
    const lost = parent.graph.initializer.filter((t) => t.name.startsWith('onnx::MatMul_')).length;
    parent.close();
    assert.ok(lost >= 21, `llama-op17 has ${lost} initializers named onnx::MatMul_*`);
    const c = CASES.find((x) => x.id === 'llama-op17')!;
    await checkCase({ ...c, id: 'llama-op17-lost-names' }, fixturePath(c.id));
  });

  it('a RoBERTa masked LM (exported here from the mirror, no fixture has one) → RobertaForMaskedLM: lm_head.{dense, layer_norm, bias}, the tied decoder stored once', async function () {
    const parentDir = path.join(dir, 'roberta-mlm-parent');
    fs.mkdirSync(parentDir);
    const made = spawnSync(PYTHON, ['-B', '-c', ROBERTA_MLM_EXPORT, path.join(repoRoot, 'scripts', 'fixtures'), parentDir], { encoding: 'utf8' });
    if (made.status === 3) this.skip(); // the mirror has no RobertaForMaskedLM
    assert.equal(made.status, 0, made.stderr);
    const shape: SubcloneShape = { layers: 1, dModel: 24, heads: 3, kvHeads: 3, ffn: 40 };
    const names = [...bertEmbeddings('roberta.'), 'lm_head.dense.weight', 'lm_head.dense.bias', 'lm_head.layer_norm.weight', 'lm_head.layer_norm.bias', 'lm_head.bias'];
    const c = withSizes({ id: 'roberta-mlm', shape, architecture: 'RobertaForMaskedLM', modelType: 'roberta', names, block: bertBlock('roberta.'), absent: ['lm_head.decoder.weight', 'lm_head.decoder.bias', 'roberta.pooler.dense.weight'], inputs: 'encoder' }, mhaSizes);
    await checkCase(c, path.join(parentDir, 'model.onnx'));
  });

  it('sharded (--format hf above the shard limit): modelFile names the index written, which loads to the same outputs', async () => {
    const c = CASES.find((x) => x.id === 'bert-op14')!;
    const single = path.join(dir, c.id);
    if (!fs.existsSync(single)) await subclone(fixturePath(c.id), { shape: c.shape, data: null, outDir: single });
    const out = path.join(dir, 'sharded');
    const result = await subclone(fixturePath(c.id), { shape: c.shape, data: null, format: 'hf', maxShardBytes: 4096, outDir: out });
    assert.equal(result.modelFile, path.join(out, 'model.safetensors.index.json'));
    assert.ok(fs.existsSync(result.modelFile));
    assert.ok(!fs.existsSync(path.join(out, 'model.safetensors')));
    const shards = fs.readdirSync(out).filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f));
    assert.ok(shards.length > 1, `shards: ${shards.join(', ')}`);
    const inputs = inputsOf(c, configBeside(fixturePath(c.id)));
    assert.deepEqual(mirrorOutputs(out, inputs).outputs, mirrorOutputs(single, inputs).outputs);
  });

  it("keeps the parent's dtype: fp16 weights are F16 in model.safetensors", async () => {
    const out = path.join(dir, 'gpt2-op17-fp16w');
    if (!fs.existsSync(out)) await subclone(fixturePath('gpt2-op17-fp16w'), { shape: CASES[1].shape, data: null, outDir: out });
    const file = openSafetensors(path.join(out, 'model.safetensors'));
    try {
      const dtypes = new Set(file.tensors.filter((t) => t.name.endsWith('.weight') && !t.name.includes('ln')).map((t) => t.dtype));
      assert.deepEqual([...dtypes], ['F16']);
    } finally {
      file.close();
    }
  });

  it('a shape the HF config cannot state is written as ONNX only with a notice, and --format hf refuses it before any work', async () => {
    const shape: SubcloneShape = { layers: 2, dModel: 32, heads: 4, kvHeads: 4, ffn: [64, 48] };
    const notices: string[] = [];
    const out = path.join(dir, 'perblock');
    const result = await subclone(fixturePath('gpt2-op17'), { shape, data: null, outDir: out, onNotice: (m) => notices.push(m) });
    assert.ok(notices.some((m) => /^writing ONNX only: a Hugging Face gpt2 config holds one FFN width for all blocks, and this shape has 64, 48 \(the nearest uniform shape: --ffn 56\)$/.test(m)), notices.join('\n'));
    assert.ok(!fs.existsSync(path.join(out, 'model.safetensors')));
    assert.ok(fs.existsSync(path.join(out, 'model.onnx')));
    assert.deepEqual(result.provenance.output?.hf, { notWritten: notices[0].replace('writing ONNX only: ', '') });
    const progress: string[] = [];
    await assert.rejects(
      subclone(fixturePath('gpt2-op17'), { shape, data: null, format: 'hf', outDir: path.join(dir, 'refused'), onProgress: (_, m) => progress.push(m) }),
      (e: unknown) => e instanceof SubcloneError && e.code === 'Unsupported' && /^not supported yet as a Hugging Face checkpoint: .*one FFN width/.test(e.message),
    );
    assert.ok(!progress.some((m) => m.includes('importance')), `work started: ${progress.join(', ')}`);
    assert.ok(!fs.existsSync(path.join(dir, 'refused')));
  });

  it('--format onnx writes no checkpoint, --format hf no model.onnx', async () => {
    const shape = CASES[0].shape;
    const onnxOnly = await subclone(fixturePath('gpt2-op17'), { shape, data: null, format: 'onnx', outDir: path.join(dir, 'onnx-only') });
    assert.ok(!fs.existsSync(path.join(onnxOnly.outDir, 'model.safetensors')));
    assert.equal(onnxOnly.provenance.output?.hf, null);
    const hfOnly = await subclone(fixturePath('gpt2-op17'), { shape, data: null, format: 'hf', outDir: path.join(dir, 'hf-only') });
    assert.ok(!fs.existsSync(path.join(hfOnly.outDir, 'model.onnx')));
    assert.equal(hfOnly.modelFile, path.join(hfOnly.outDir, 'model.safetensors'));
    assert.ok(fs.existsSync(hfOnly.modelFile));
  });
});

const SIZE_KEYS = new Set(['n_layer', 'n_embd', 'n_head', 'n_inner', 'num_hidden_layers', 'hidden_size', 'num_attention_heads', 'num_key_value_heads', 'intermediate_size', 'head_dim', 'architectures', 'model_type', 'tie_word_embeddings']);

describe('graphs that do not fit the family\'s Hugging Face modules', () => {
  const mapOf = async (id: string) => {
    const model = OnnxModel.load(fixturePath(id));
    try {
      return await recognize(model);
    } finally {
      model.close();
    }
  };
  const config = (id: string) => JSON.parse(fs.readFileSync(path.join(path.dirname(fixturePath(id)), 'config.json'), 'utf8'));

  it('the fixtures fit as they are', async () => {
    const fit = [['gpt2-op17', 'gpt2'], ['llama-op17', 'llama'], ['qwen2-op17', 'qwen2'], ['gptneox-op17', 'gpt_neox'], ['bert-op14', 'bert'], ['bert-op17-mlm', 'bert'], ['roberta-op17', 'roberta'], ['vit-op14', 'vit'], ['vit-op17', 'vit'], ['deit-op17', 'deit']];
    for (const [id, type] of fit) assert.equal(hfLayoutProblem(await mapOf(id), type, config(id)), undefined, id);
  });

  it('the class follows the graph\'s head, and a weight the class has no place for is not dropped silently', async () => {
    // DeiT with one classifier: DeiTForImageClassification; the distillation head's weights would be left out.
    const deit = await mapOf('deit-op17');
    deit.final.extraHeads = [];
    assert.deepEqual(hfModelType(deit), { modelType: 'deit', architecture: 'DeiTForImageClassification' });
    const deitNames = hfParameters(deit).map((p) => p.name);
    for (const n of ['classifier.weight', 'classifier.bias', 'deit.embeddings.distillation_token', 'deit.encoder.layer.0.attention.attention.query.weight']) assert.ok(deitNames.includes(n), n);
    assert.equal(hfLayoutProblem(deit, 'deit', config('deit-op17')), "the graph has weights DeiTForImageClassification has no place for (\"distillation_classifier.weight\", \"distillation_classifier.bias\")");
    // A headless ViT is ViTModel, its names without the vit. prefix.
    const vit = await mapOf('vit-op17');
    vit.final.head = null;
    assert.deepEqual(hfModelType(vit), { modelType: 'vit', architecture: 'ViTModel' });
    const vitNames = hfParameters(vit).map((p) => p.name);
    assert.deepEqual(vitNames.slice(0, 4), ['embeddings.cls_token', 'embeddings.position_embeddings', 'embeddings.patch_embeddings.projection.weight', 'embeddings.patch_embeddings.projection.bias']);
    assert.deepEqual(vitNames.slice(-2), ['layernorm.weight', 'layernorm.bias']);
    // A BERT whose pooler was not recognised would lose it: refused instead.
    const bert = await mapOf('bert-op14');
    bert.final.pooler = null;
    assert.equal(hfLayoutProblem(bert, 'bert', config('bert-op14')), 'the graph has weights BertModel has no place for ("pooler.dense.weight", "pooler.dense.bias")');
    // Heads the family's classes do not have.
    const mlm = await mapOf('bert-op17-mlm');
    mlm.final.head = { ...mlm.final.head!, kind: 'classifier' };
    assert.deepEqual(hfModelType(mlm), { reason: "the Hugging Face classes written for bert (BertModel or BertForMaskedLM) have no head like this one's (this one has a classifier head with a transform before it)" });
    // A decoder without a head is the family's base class, its names without the base prefix (as HF saves them).
    const neox = await mapOf('gptneox-op17');
    neox.final.head = null;
    assert.deepEqual(hfModelType(neox), { modelType: 'gpt_neox', architecture: 'GPTNeoXModel' });
    const neoxNames = hfParameters(neox).map((p) => p.name);
    assert.equal(neoxNames[0], 'embed_in.weight');
    assert.ok(neoxNames.includes('layers.0.attention.query_key_value.weight') && !neoxNames.some((n) => n.startsWith('gpt_neox.') || n.startsWith('embed_out')));
    const gpt2 = await mapOf('gpt2-op17');
    gpt2.final.head = { ...gpt2.final.head!, kind: 'classifier' };
    assert.deepEqual(hfModelType(gpt2), { reason: 'only causal LMs and base models of gpt2 are written as Hugging Face folders yet (this one has a classifier head)' });
  });

  it('GPT-NeoX: query_key_value laid out per head, and the residual form config.json states', async () => {
    const neox = await mapOf('gptneox-op17');
    assert.equal(hfLayoutProblem(neox, 'gpt_neox', { ...config('gptneox-op17'), use_parallel_residual: false }), "the graph's blocks are parallel (attention and MLP on the same input), and config.json has use_parallel_residual: false");
    // q | k | v side by side (GPT-2's order), not [heads, 3, head width]: HF's view would mix them up.
    const q = neox.blocks[1].attention.q;
    const h1 = neox.groups.find((g) => g.id === 'H1')!;
    h1.members = h1.members.map((m) => (m.tensor === q.weight && m.axis === q.outAxis ? { ...m, expr: { cat: [0, 1, 2].map(() => ({ seq: [{ group: 'H1', size: 2 }, { fixed: 16 }] })) } } : m));
    assert.equal(hfLayoutProblem(neox, 'gpt_neox', config('gptneox-op17')), "block 1's q, k and v are not one query_key_value laid out per head ([heads, 3, head width]), as GPT-NeoX's Hugging Face code has them");
  });

  it('GPT-2 with q, k and v in separate weights is not written as c_attn', async () => {
    const map = await mapOf('gpt2-op17');
    map.blocks[1].attention.k = { ...map.blocks[1].attention.k, weight: 'elsewhere' };
    assert.equal(hfLayoutProblem(map, 'gpt2', config('gpt2-op17')), "block 1's q, k and v are not one fused c_attn (q, k, v in that order), as GPT-2's Hugging Face code has them");
  });

  it('biases the modules lack, or lacking ones they have, are named', async () => {
    const llama = await mapOf('llama-op17');
    llama.blocks[0].attention.o = { ...llama.blocks[0].attention.o, bias: 'o_bias' };
    assert.equal(hfLayoutProblem(llama, 'llama', config('llama-op17')), "the model has biases llama's Hugging Face modules do not (model.layers.*.self_attn.o_proj.bias)");
    assert.equal(hfLayoutProblem(llama, 'llama', { ...config('llama-op17'), attention_bias: true }), "llama's Hugging Face modules have biases this model lacks (model.layers.*.self_attn.q_proj.bias, model.layers.*.self_attn.k_proj.bias, model.layers.*.self_attn.v_proj.bias)");
    const qwen = await mapOf('qwen2-op17');
    for (const b of qwen.blocks) b.attention.v = { ...b.attention.v, bias: null };
    assert.equal(hfLayoutProblem(qwen, 'qwen2', config('qwen2-op17')), "qwen2's Hugging Face modules have biases this model lacks (model.layers.*.self_attn.v_proj.bias)");
  });
});

describe('Hugging Face parents → shrunk → Hugging Face children', function () {
  this.timeout(120_000);
  let dir: string;
  let cleanup: () => void;
  before(function () {
    if (torchMissing()) this.skip();
    ({ dir, cleanup } = tempDir());
  });
  after(() => cleanup?.());

  const hfRoot = path.join(repoRoot, 'test', 'fixtures', 'hf');
  for (const id of fs.readdirSync(hfRoot).sort()) {
    it(`${id}: the child's model.safetensors in the mirror (strict load) gives the outputs of its model.onnx`, async () => {
      const parent = path.join(hfRoot, id);
      const model = openCheckpoint(parent);
      const map = await recognize(model);
      model.close();
      const d = map.dims;
      // Half the KV groups (whole groups, their query heads with them), the head width kept, one block fewer.
      const kvHeads = Math.max(1, Math.floor(d.kvHeads / 2));
      const heads = kvHeads * (d.heads / d.kvHeads);
      const llamaLike = map.family === 'llama';
      const shape: SubcloneShape = { layers: Math.max(1, d.layers - 1), dModel: llamaLike ? d.dModel / 2 : heads * d.headDim, heads, kvHeads, ffn: (d.ffn as number) / 2 };
      const out = path.join(dir, id);
      const result = await subclone(parent, { shape, data: null, outDir: out });
      assert.ok(result.provenance.output?.hf && 'modelType' in result.provenance.output.hf, JSON.stringify(result.provenance.output));
      const config = JSON.parse(fs.readFileSync(path.join(parent, 'config.json'), 'utf8'));
      const inputs = map.dims.vocab === null ? pixelInputs(config as unknown as { image_size: number; num_channels: number }) : textInputs(map.family === 'bert', config.type_vocab_size);
      const mirror = mirrorOutputs(out, inputs);
      const onnx = await onnxOutputs(path.join(out, 'model.onnx'), inputs);
      const { worst, scale } = difference(mirror.outputs[mirror.output], onnx[mirror.output]);
      assert.ok(scale > 0 && worst <= 1e-4 * scale, `${mirror.output}: max |diff| ${worst} on values up to ${scale}`);
      const childConfig = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
      assert.equal(childConfig.model_type, config.model_type);
      assert.deepEqual(childConfig.architectures, config.architectures);
    });
  }
});
