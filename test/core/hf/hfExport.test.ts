import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { SubcloneError } from '../../../src/core/errors';
import { hfLayoutProblem } from '../../../src/core/hf/hfLayout';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { recognize } from '../../../src/core/recognize/recognize';
import { openSafetensors } from '../../../src/core/safetensors/reader';
import { subclone } from '../../../src/core/subclone/subclone';
import type { SubcloneShape } from '../../../src/core/subclone/shape';
import { floatOutput } from '../../../src/core/eval/modelLoss';
import { fixturePath, repoRoot, tempDir } from '../../helpers/paths';
import { int64Tensor } from '../../helpers/ort';

const PYTHON = '/usr/bin/python3';
const CHECK = path.join(repoRoot, 'scripts', 'fixtures', 'hf_check.py');
const IDS = [[3, 17, 42, 5, 9, 60, 1, 33], [8, 2, 71, 14, 0, 27, 50, 11]];

function torchMissing(): string | undefined {
  if (!fs.existsSync(PYTHON)) return `${PYTHON} is missing`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  return probe.status === 0 ? undefined : `${PYTHON} has no torch (${probe.stderr.trim().split('\n').pop()})`;
}

/** The mirror's logits on IDS for an HF folder (strict load_state_dict), from scripts/fixtures/hf_check.py. */
function mirrorLogits(folder: string): { dims: number[]; logits: number[]; stored: string[]; tied: boolean } {
  const run = spawnSync(PYTHON, ['-B', CHECK, folder, JSON.stringify(IDS)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(run.status, 0, `hf_check.py failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** The child's own model.onnx on IDS in onnxruntime. */
async function onnxLogits(file: string): Promise<{ dims: number[]; values: Float32Array }> {
  const session = await ort.InferenceSession.create(file, { logSeverityLevel: 3 });
  try {
    const [B, T] = [IDS.length, IDS[0].length];
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) {
      if (name.includes('mask')) feeds[name] = int64Tensor(new Array(B * T).fill(1), [B, T]);
      else if (name.includes('position')) feeds[name] = int64Tensor(Array.from({ length: B * T }, (_, i) => i % T), [B, T]);
      else feeds[name] = int64Tensor(IDS.flat(), [B, T]);
    }
    const out = await session.run(feeds);
    const logits = out.logits ?? Object.values(out)[0];
    return { dims: [...logits.dims], values: floatOutput(logits) };
  } finally {
    await session.release();
  }
}

interface Case {
  id: string;
  shape: SubcloneShape;
  /** The HF names every block of the family has (block 0's), and the top-level ones. */
  names: string[];
}

const GPT2_BLOCK = ['ln_1.weight', 'ln_1.bias', 'attn.c_attn.weight', 'attn.c_attn.bias', 'attn.c_proj.weight', 'attn.c_proj.bias', 'ln_2.weight', 'ln_2.bias', 'mlp.c_fc.weight', 'mlp.c_fc.bias', 'mlp.c_proj.weight', 'mlp.c_proj.bias'].map((n) => `transformer.h.0.${n}`);
const LLAMA_BLOCK = ['input_layernorm.weight', 'self_attn.q_proj.weight', 'self_attn.k_proj.weight', 'self_attn.v_proj.weight', 'self_attn.o_proj.weight', 'post_attention_layernorm.weight', 'mlp.gate_proj.weight', 'mlp.up_proj.weight', 'mlp.down_proj.weight'].map((n) => `model.layers.0.${n}`);

const CASES: Case[] = [
  { id: 'gpt2-op17', shape: { layers: 2, dModel: 32, heads: 4, kvHeads: 4, ffn: 64 }, names: ['transformer.wte.weight', 'transformer.wpe.weight', 'transformer.ln_f.weight', 'lm_head.weight', ...GPT2_BLOCK] },
  { id: 'gpt2-op17-fp16w', shape: { layers: 1, dModel: 16, heads: 1, kvHeads: 1, ffn: 48 }, names: ['transformer.wte.weight', ...GPT2_BLOCK] },
  { id: 'llama-op17', shape: { layers: 2, dModel: 40, heads: 4, kvHeads: 2, ffn: 56 }, names: ['model.embed_tokens.weight', 'model.norm.weight', 'lm_head.weight', ...LLAMA_BLOCK] },
  { id: 'llama-op17-mha-tied', shape: { layers: 1, dModel: 24, heads: 2, kvHeads: 2, ffn: 40 }, names: ['model.embed_tokens.weight', 'model.norm.weight', ...LLAMA_BLOCK] },
  { id: 'qwen2-op17', shape: { layers: 2, dModel: 24, heads: 4, kvHeads: 2, ffn: 64 }, names: ['model.layers.0.self_attn.q_proj.bias', 'model.layers.0.self_attn.k_proj.bias', 'model.layers.0.self_attn.v_proj.bias', ...LLAMA_BLOCK] },
];

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

  for (const c of CASES) {
    it(`${c.id} → ${c.shape.layers}L×${c.shape.dModel}: the mirror loads model.safetensors strictly and gives the logits of the child's model.onnx`, async () => {
      const out = path.join(dir, c.id);
      const result = await subclone(fixturePath(c.id), { shape: c.shape, data: null, outDir: out });
      assert.deepEqual(result.provenance.output?.onnx, true);
      assert.ok(result.provenance.output?.hf && 'modelType' in result.provenance.output.hf, JSON.stringify(result.provenance.output));
      const mirror = mirrorLogits(out);
      const onnx = await onnxLogits(path.join(out, 'model.onnx'));
      assert.deepEqual(mirror.dims, onnx.dims);
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < onnx.values.length; i++) {
        worst = Math.max(worst, Math.abs(mirror.logits[i] - onnx.values[i]));
        scale = Math.max(scale, Math.abs(onnx.values[i]));
      }
      assert.ok(worst <= 1e-4 * scale, `max |diff| ${worst} on logits up to ${scale}`);
      for (const name of c.names) assert.ok(mirror.stored.includes(name), `${name} is not in model.safetensors (${mirror.stored.join(', ')})`);
      const perBlock = c.id.startsWith('gpt2') ? GPT2_BLOCK.length : LLAMA_BLOCK.length + (c.id.startsWith('qwen2') ? 3 : 0);
      assert.equal(mirror.stored.filter((n) => /^(transformer\.h|model\.layers)\./.test(n)).length, c.shape.layers * perBlock, "every block's parameters, nothing else");
      if (mirror.tied) assert.ok(!mirror.stored.includes('lm_head.weight'), 'a tied head is stored once, as the token table');
      const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
      const parentConfig = JSON.parse(fs.readFileSync(path.join(path.dirname(fixturePath(c.id)), 'config.json'), 'utf8'));
      for (const [k, v] of Object.entries(parentConfig)) if (!SIZE_KEYS.has(k)) assert.deepEqual(config[k], v, `config.json's ${k} is the parent's`);
    });
  }

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
    for (const [id, type] of [['gpt2-op17', 'gpt2'], ['llama-op17', 'llama'], ['qwen2-op17', 'qwen2']]) assert.equal(hfLayoutProblem(await mapOf(id), type, config(id)), undefined, id);
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
