import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../src/core/random/rng';
import { writeShardedSafetensors } from '../src/core/safetensors/shards';
import type { SafetensorsTensor } from '../src/core/safetensors/writer';
import type { BenchContext } from './run';

/** TinyLlama's shape (as bench/largeModel.ts), as a Hugging Face folder. */
const CONFIG = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  vocab_size: 32000,
  hidden_size: 2048,
  intermediate_size: 5632,
  num_hidden_layers: 22,
  num_attention_heads: 32,
  num_key_value_heads: 4,
  hidden_act: 'silu',
  max_position_embeddings: 2048,
  rms_norm_eps: 1e-5,
  rope_theta: 10000.0,
  rope_scaling: null,
  attention_bias: false,
  mlp_bias: false,
  tie_word_embeddings: false,
  initializer_range: 0.02,
  bos_token_id: 1,
  eos_token_id: 2,
  torch_dtype: 'bfloat16',
};

const CHUNK = 1 << 22;

/** Normal(0, std) values as bfloat16 (round to nearest even), a chunk at a time. */
function* bf16Normal(count: number, std: number, rng: Rng): Generator<Uint8Array> {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let done = 0; done < count; done += CHUNK) {
    const n = Math.min(CHUNK, count - done);
    const out = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      f[0] = rng.normal() * std;
      const x = u[0];
      out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
    }
    yield new Uint8Array(out.buffer);
  }
}

function* bf16Ones(count: number): Generator<Uint8Array> {
  yield new Uint8Array(new Uint16Array(count).fill(0x3f80).buffer);
}

/**
 * A random-init 1.1B-parameter LLaMA as a Hugging Face checkpoint in bfloat16 (the dtype of most published LLaMA
 * checkpoints), in shards of at most 1 GB with model.safetensors.index.json, written on first use (about a minute,
 * little memory: one tensor chunk at a time) and cached in bench/.data. Never committed.
 */
export function largeHfModel(ctx: BenchContext): string {
  const dir = path.join(ctx.dataDir, 'llama-22x2048-bf16-hf');
  if (fs.existsSync(path.join(dir, 'model.safetensors.index.json'))) return dir;
  process.stderr.write(`bench: writing the 1.1B-parameter bf16 Hugging Face checkpoint to ${dir} (one-off)…\n`);
  fs.mkdirSync(dir, { recursive: true });
  const c = CONFIG;
  const hd = c.hidden_size / c.num_attention_heads;
  const tensors: SafetensorsTensor[] = [];
  const add = (name: string, shape: number[], kind: 'normal' | 'ones') => {
    const count = shape.reduce((a, b) => a * b, 1);
    const rng = new Rng(0, name);
    tensors.push({ name, dtype: 'BF16', shape, byteLength: count * 2, chunks: () => (kind === 'ones' ? bf16Ones(count) : bf16Normal(count, c.initializer_range, rng)) });
  };
  add('model.embed_tokens.weight', [c.vocab_size, c.hidden_size], 'normal');
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    add(`${p}.input_layernorm.weight`, [c.hidden_size], 'ones');
    add(`${p}.self_attn.q_proj.weight`, [c.num_attention_heads * hd, c.hidden_size], 'normal');
    add(`${p}.self_attn.k_proj.weight`, [c.num_key_value_heads * hd, c.hidden_size], 'normal');
    add(`${p}.self_attn.v_proj.weight`, [c.num_key_value_heads * hd, c.hidden_size], 'normal');
    add(`${p}.self_attn.o_proj.weight`, [c.hidden_size, c.num_attention_heads * hd], 'normal');
    add(`${p}.post_attention_layernorm.weight`, [c.hidden_size], 'ones');
    add(`${p}.mlp.gate_proj.weight`, [c.intermediate_size, c.hidden_size], 'normal');
    add(`${p}.mlp.up_proj.weight`, [c.intermediate_size, c.hidden_size], 'normal');
    add(`${p}.mlp.down_proj.weight`, [c.hidden_size, c.intermediate_size], 'normal');
  }
  add('model.norm.weight', [c.hidden_size], 'ones');
  add('lm_head.weight', [c.vocab_size, c.hidden_size], 'normal');
  writeShardedSafetensors(dir, tensors, { metadata: { format: 'pt' }, maxShardBytes: 1_000_000_000 });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(CONFIG, null, 2) + '\n');
  return dir;
}
