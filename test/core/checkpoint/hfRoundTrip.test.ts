import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCheckpoint } from '../../../src/core/checkpoint/openCheckpoint';
import { recognize } from '../../../src/core/recognize/recognize';
import { openSafetensors } from '../../../src/core/safetensors/reader';
import { openCheckpointWeights, type CheckpointWeights } from '../../../src/core/safetensors/shards';
import { writeSafetensors } from '../../../src/core/safetensors/writer';
import { parentShape } from '../../../src/core/subclone/shape';
import { subclone } from '../../../src/core/subclone/subclone';
import { fixturesDir, tempDir } from '../../helpers/paths';

/** The base model prefixes HF names may carry or not (as from_pretrained accepts both). */
const PREFIXES = ['transformer.', 'gpt_neox.', 'bert.', 'roberta.', 'vit.', 'deit.', 'model.'];

function withoutPrefix(name: string): string {
  const p = PREFIXES.find((x) => name.startsWith(x));
  return p ? name.slice(p.length) : name;
}

function tensorsByName(w: CheckpointWeights): Map<string, { dtype: string; shape: readonly number[]; bytes: Uint8Array }> {
  return new Map(w.names.map((n) => {
    const { entry } = w.get(n);
    return [withoutPrefix(n), { dtype: entry.dtype, shape: entry.shape, bytes: w.readBytes(n) }];
  }));
}

describe('Hugging Face folder → identity-shape subclone → Hugging Face folder', function () {
  this.timeout(300_000);

  const hfRoot = path.join(fixturesDir, 'hf');
  for (const id of fs.readdirSync(hfRoot).sort()) {
    it(`${id}: the same tensors, bit for bit, in the parent's dtype`, async () => {
      const { dir, cleanup } = tempDir();
      try {
        const parentDir = path.join(dir, id);
        fs.cpSync(path.join(hfRoot, id), parentDir, { recursive: true });
        const model = openCheckpoint(parentDir);
        const unused = new Set((/does not use: (.*)$/.exec(model.proto.docString)?.[1] ?? '').split(', ').filter(Boolean).map(withoutPrefix));
        const shape = parentShape(await recognize(model));
        model.close();
        const out = path.join(dir, 'child');
        await subclone(parentDir, { shape, data: null, format: 'hf', outDir: out });
        const parent = openCheckpointWeights(parentDir);
        const child = openCheckpointWeights(out);
        try {
          const p = tensorsByName(parent);
          const c = tensorsByName(child);
          const used = [...p.keys()].filter((n) => !unused.has(n) && !/(^|\.)(attn\.bias|position_ids)$/.test(n)).sort();
          assert.deepEqual([...c.keys()].sort(), used);
          for (const [name, t] of c) {
            const q = p.get(name)!;
            assert.equal(t.dtype, q.dtype, name);
            assert.deepEqual(t.shape, q.shape, name);
            assert.ok(Buffer.compare(Buffer.from(t.bytes), Buffer.from(q.bytes)) === 0, `${name} differs`);
          }
        } finally {
          parent.close();
          child.close();
        }
        const parentConfig = JSON.parse(fs.readFileSync(path.join(parentDir, 'config.json'), 'utf8')) as Record<string, unknown>;
        const childConfig = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
        for (const [k, v] of Object.entries(parentConfig)) assert.deepEqual(childConfig[k], v, `config.json ${k}`);
      } finally {
        cleanup();
      }
    });
  }

  it("GPT-2 with scale_attn_by_inverse_layer_idx: blocks that move are written as ONNX only, saying why; the first blocks as both", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const parentDir = path.join(dir, 'gpt2');
      fs.cpSync(path.join(hfRoot, 'gpt2-fp16-untied'), parentDir, { recursive: true });
      const model = openCheckpoint(parentDir);
      const shape = { ...parentShape(await recognize(model)), layers: 1 };
      model.close();
      const notices: string[] = [];
      const moved = await subclone(parentDir, { shape, data: null, blocks: { kind: 'list', blocks: [1] }, outDir: path.join(dir, 'moved'), onNotice: (m) => notices.push(m) });
      assert.deepEqual(fs.readdirSync(moved.outDir).sort(), ['config.json', 'model.onnx', 'subclone.json']);
      assert.match(notices.join('\n'), /writing ONNX only: config\.json's scale_attn_by_inverse_layer_idx .* the kept blocks \[1\] move/);
      assert.match(JSON.stringify(moved.provenance.output), /notWritten/);
      const first = await subclone(parentDir, { shape, data: null, blocks: { kind: 'first' }, outDir: path.join(dir, 'first') });
      assert.ok(fs.existsSync(path.join(first.outDir, 'model.safetensors')));
    } finally {
      cleanup();
    }
  });

  it('a decoder base class (LlamaModel, saved without the model. prefix): the same tensors and names, bit for bit', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const parentDir = path.join(dir, 'llama-base');
      fs.mkdirSync(parentDir);
      const config = JSON.parse(fs.readFileSync(path.join(hfRoot, 'llama', 'config.json'), 'utf8')) as Record<string, unknown>;
      fs.writeFileSync(path.join(parentDir, 'config.json'), JSON.stringify({ ...config, architectures: ['LlamaModel'] }));
      const st = openSafetensors(path.join(hfRoot, 'llama', 'model.safetensors'));
      const tensors = st.tensors.filter((t) => t.name !== 'lm_head.weight').map((t) => ({ name: t.name.replace(/^model\./, ''), dtype: t.dtype, shape: t.shape, bytes: st.readBytes(t.name) }));
      st.close();
      writeSafetensors(path.join(parentDir, 'model.safetensors'), tensors);
      const model = openCheckpoint(parentDir);
      const shape = parentShape(await recognize(model));
      model.close();
      const out = path.join(dir, 'child');
      await subclone(parentDir, { shape, data: null, format: 'hf', outDir: out });
      const child = openSafetensors(path.join(out, 'model.safetensors'));
      try {
        assert.deepEqual(child.tensors.map((t) => t.name).sort(), tensors.map((t) => t.name).sort());
        for (const t of tensors) assert.ok(Buffer.compare(Buffer.from(child.readBytes(t.name)), Buffer.from(t.bytes)) === 0, `${t.name} differs`);
      } finally {
        child.close();
      }
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).architectures, ['LlamaModel']);
    } finally {
      cleanup();
    }
  });
});
