import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCheckpoint } from '../../../src/core/checkpoint/openCheckpoint';
import * as ort from 'onnxruntime-node';
import { isSubcloneError } from '../../../src/core/errors';
import { recognize } from '../../../src/core/recognize/recognize';
import { openSafetensors } from '../../../src/core/safetensors/reader';
import { writeSafetensors } from '../../../src/core/safetensors/writer';
import { repoFixtures, type Fixture } from '../../helpers/fixtures';
import { hfFolderFromFixture } from '../../helpers/hfFromFixture';
import { runModel, type Feeds } from '../../helpers/ort';
import { fixturesDir } from '../../helpers/paths';
import { readRefs } from '../../helpers/refs';


/** Largest |a − b| over the largest |b|: the relative error the issue bounds by 1e-4. */
function relativeError(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

/** The fixture's saved inputs that the built graph takes. */
function feedsFor(model: { graph: { input: { name: string }[] } }, feeds: Feeds): Feeds {
  return Object.fromEntries(model.graph.input.map((i) => [i.name, feeds[i.name]]));
}

// Every ONNX fixture exported from the family mirrors (HF module names) whose inputs an HF class takes: the KV-cache
// exports feed past keys and values, which a built graph has no inputs for.
const FROM_MIRRORS = repoFixtures((f) => f.truth.family !== null && f.truth.paramMap !== undefined && !f.id.endsWith('-past'));

describe('Hugging Face checkpoints as ONNX graphs', () => {
  it('covers every family', () => {
    assert.deepEqual([...new Set(FROM_MIRRORS.map((f) => f.truth.family))].sort(), ['bert', 'gpt-neox', 'gpt2', 'llama', 'vit']);
  });

  for (const f of FROM_MIRRORS) {
    it(`${f.id}: the graph built from config.json and model.safetensors gives PyTorch's outputs and is recognised with the same dims`, async () => {
      const dir = hfFolderFromFixture(f);
      const model = openCheckpoint(dir);
      try {
        const out = await runModel(model.toBytes(), feedsFor(model, f.feeds()));
        const refs = f.refs();
        const tolerance = Math.max(f.truth.tolerance ?? 1e-4, 1e-4);
        for (const name of model.graph.output.map((o) => o.name)) {
          const ref = refs.get(`output:${name}`);
          assert.ok(ref, `the fixture has no reference for ${name}`);
          assert.deepEqual(out[name].dims, ref.shape, name);
          const err = relativeError(out[name].data as Float32Array, ref.data as Float32Array);
          assert.ok(err <= tolerance, `${name}: relative error ${err} > ${tolerance}`);
        }
        const map = await recognize(model);
        assert.equal(map.family, f.truth.family);
        assert.equal(map.variant, f.truth.variant);
        const { context: _c, ...dims } = map.dims;
        const { context: _t, ...expected } = f.truth.dims as Record<string, unknown>;
        assert.deepEqual(dims, expected);
      } finally {
        model.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  // Folders save_pretrained-style from the mirrors (scripts/fixtures/make_hf_fixtures.py): hub naming, F16 and BF16,
  // shards, rope scaling, sliding windows, extra heads' tensors; the references are the mirrors' float32 outputs.
  const hfRoot = path.join(fixturesDir, 'hf');
  for (const id of fs.readdirSync(hfRoot).sort()) {
    const dir = path.join(hfRoot, id);
    const testCase = JSON.parse(fs.readFileSync(path.join(dir, 'case.json'), 'utf8')) as { architecture: string; covers: string; inputs: string[]; outputs: string[]; tolerance: number };
    it(`${id}: ${testCase.covers}`, async () => {
      const model = openCheckpoint(dir);
      try {
        assert.match(model.proto.docString, new RegExp(`^${testCase.architecture} built by Subclone`));
        assert.deepEqual(model.graph.input.map((i) => i.name), testCase.inputs);
        assert.deepEqual(model.graph.output.map((o) => o.name), testCase.outputs);
        const refs = readRefs(dir);
        const feeds: Feeds = Object.fromEntries(testCase.inputs.map((n) => {
          const t = refs.get(`input:${n}`)!;
          return [n, new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, t.shape)];
        }));
        const out = await runModel(model.toBytes(), feeds);
        for (const name of testCase.outputs) {
          const ref = refs.get(`output:${name}`)!;
          assert.deepEqual(out[name].dims, ref.shape, name);
          const err = relativeError(out[name].data as Float32Array, ref.data as Float32Array);
          assert.ok(err <= testCase.tolerance, `${name}: relative error ${err} > ${testCase.tolerance}`);
        }
        await recognize(model);
      } finally {
        model.close();
      }
    });
  }

  it('leaves every weight in model.safetensors: initializers are external data at the tensors\' own offsets', () => {
    const f = fixture('llama-op17');
    const dir = hfFolderFromFixture(f);
    const model = openCheckpoint(dir);
    const st = openSafetensors(path.join(dir, 'model.safetensors'));
    try {
      assert.equal(model.graph.initializer.length, st.tensors.length);
      for (const t of model.graph.initializer) {
        const ext = Object.fromEntries(t.externalData.map((e) => [e.key, e.value]));
        const entry = st.entry(t.name);
        assert.deepEqual(ext, { location: 'model.safetensors', offset: String(entry.begin), length: String(entry.end - entry.begin) });
      }
      assert.equal(model.file, path.join(dir, 'model.safetensors'));
    } finally {
      st.close();
      model.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds names as from_pretrained does: without the base prefix, LayerNorm gamma/beta, buffers ignored, other heads listed', async () => {
    const f = fixture('gpt2-op17');
    const dir = hfFolderFromFixture(f);
    try {
      const file = path.join(dir, 'model.safetensors');
      const st = openSafetensors(file);
      const tensors = st.tensors.map((t) => ({
        // The hub's gpt2 checkpoint has no `transformer.` prefix and old ones spell LayerNorm gamma/beta.
        name: t.name.replace(/^transformer\./, '').replace(/^h\.0\.ln_1\.weight$/, 'h.0.ln_1.gamma'),
        dtype: t.dtype,
        shape: t.shape,
        bytes: st.readBytes(t.name),
      }));
      st.close();
      const mask = new Uint8Array(4 * 48 * 48);
      tensors.push({ name: 'h.0.attn.bias', dtype: 'F32', shape: [1, 1, 48, 48], bytes: mask });
      tensors.push({ name: 'score.weight', dtype: 'F32', shape: [2, 40], bytes: new Uint8Array(4 * 80) });
      writeSafetensors(file, tensors, undefined, { overwrite: true });
      const model = openCheckpoint(dir);
      try {
        assert.match(model.proto.docString, /tensors GPT2LMHeadModel does not use: score\.weight$/);
        const out = await runModel(model.toBytes(), feedsFor(model, f.feeds()));
        assert.ok(relativeError(out.logits.data as Float32Array, f.refs().get('output:logits')!.data as Float32Array) <= 1e-4);
      } finally {
        model.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds the base class when config.json names it: last_hidden_state instead of logits', async () => {
    const f = fixture('llama-op17');
    const dir = hfFolderFromFixture(f);
    try {
      editConfig(dir, (c) => ({ ...c, architectures: ['LlamaModel'] }));
      const model = openCheckpoint(dir);
      try {
        assert.deepEqual(model.graph.output.map((o) => o.name), ['last_hidden_state']);
        assert.match(model.proto.docString, /does not use: lm_head\.weight/);
        const out = await runModel(model.toBytes(), feedsFor(model, f.feeds()));
        assert.deepEqual(out.last_hidden_state.dims, [2, 20, 48]);
      } finally {
        model.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('refuses what it cannot build, before reading weights, with the reason', () => {
    const cases: [string, string, (c: Record<string, unknown>) => Record<string, unknown>, string, RegExp][] = [
      ['an unknown model_type', 'llama-op17', (c) => ({ ...c, model_type: 'mamba' }), 'Unsupported', /not supported yet: model_type "mamba".*Subclone reads gpt2, gpt_neox, bert, roberta, vit, deit, llama, mistral, qwen2/],
      ['a class of the family it does not build', 'llama-op17', (c) => ({ ...c, architectures: ['LlamaForSequenceClassification'] }), 'Unsupported', /not supported yet: LlamaForSequenceClassification.*LlamaForCausalLM, LlamaModel/],
      ['a rope_scaling type not implemented', 'llama-op17', (c) => ({ ...c, rope_scaling: { rope_type: 'longrope', short_factor: [1], long_factor: [1] } }), 'Unsupported', /not supported yet: rope_scaling type "longrope"/],
      ['relative position embeddings', 'bert-op14', (c) => ({ ...c, position_embedding_type: 'relative_key' }), 'Unsupported', /not supported yet: position_embedding_type "relative_key"/],
      ['an activation ACT2FN has but Subclone does not', 'gpt2-op17', (c) => ({ ...c, activation_function: 'mish' }), 'Unsupported', /not supported yet: activation_function "mish"/],
      ['a size of the wrong type', 'gpt2-op17', (c) => ({ ...c, n_head: 'five' }), 'BadModel', /"n_head" is "five"; it must be a whole number ≥ 1/],
      ['heads that do not divide the width', 'llama-op17', (c) => ({ ...c, num_key_value_heads: 4 }), 'BadModel', /num_attention_heads 6 is not a multiple of num_key_value_heads 4/],
      ['a config that disagrees with the weights', 'llama-op17', (c) => ({ ...c, intermediate_size: 96 }), 'BadModel', /tensor "model\.layers\.0\.mlp\.gate_proj\.weight" of .*model\.safetensors is F32 \[80, 48\]; config\.json makes model\.layers\.0\.mlp\.gate_proj\.weight \[96, 48\]/],
      ['a missing tensor', 'llama-op17', (c) => ({ ...c, num_hidden_layers: 4 }), 'MissingData', /has no tensor "model\.layers\.3\.input_layernorm\.weight", which config\.json's architecture needs/],
    ];
    for (const [what, id, edit, code, message] of cases) {
      it(what, () => {
        const dir = hfFolderFromFixture(fixture(id));
        try {
          editConfig(dir, edit);
          assert.throws(() => openCheckpoint(dir), (e: unknown) => isSubcloneError(e) && e.code === code && message.test(e.message));
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    }

    it('a folder without config.json, and one that is neither format', () => {
      const dir = hfFolderFromFixture(fixture('gpt2-op17'));
      try {
        fs.rmSync(path.join(dir, 'config.json'));
        assert.throws(() => openCheckpoint(dir), (e: unknown) => isSubcloneError(e, 'MissingData') && /cannot read .*config\.json, which a Hugging Face checkpoint needs/.test(e.message));
        fs.rmSync(path.join(dir, 'model.safetensors'));
        assert.throws(() => openCheckpoint(dir), (e: unknown) => isSubcloneError(e, 'BadModel') && /neither a Hugging Face checkpoint .* nor an ONNX model file/.test(e.message));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('reads 16-bit weights as stored and computes in float32 (F16 initializers, each cast once)', async () => {
    const f = fixture('gpt2-op17-fp16w');
    const dir = hfFolderFromFixture(f);
    const model = openCheckpoint(dir);
    try {
      assert.ok(model.graph.initializer.every((t) => t.dataType === 10), 'every initializer float16');
      const casts = model.graph.node.filter((n) => n.opType === 'Cast' && model.graph.initializer.some((t) => t.name === n.input[0]));
      assert.equal(casts.length, model.graph.initializer.length);
      const out = await runModel(model.toBytes(), feedsFor(model, f.feeds()));
      assert.ok(out.logits.data instanceof Float32Array);
    } finally {
      model.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

function fixture(id: string): Fixture {
  const f = repoFixtures((x) => x.id === id)[0];
  assert.ok(f, `no fixture ${id}`);
  return f;
}

function editConfig(dir: string, edit: (c: Record<string, unknown>) => Record<string, unknown>): void {
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify(edit(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>)));
}

