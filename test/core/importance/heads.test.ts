import * as assert from 'node:assert/strict';
import { create, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, ValueInfoProtoSchema } from '../../../src/core/onnx/proto';
import { runModel } from '../../helpers/ort';
import { importanceOf, maxAbsDiff, norm, repoCases } from './oracle';

/**
 * Head scores against a plain reduction of the per-head contexts the parent itself computes (exposed as outputs of
 * an untouched copy): mean over counted tokens of ‖context[b, t, h·hd:(h+1)·hd]‖₂, and KV groups summing the query
 * heads g·(H/KV) … g·(H/KV) + H/KV − 1.
 */
describe('importance: head and KV-group scores', () => {
  for (const c of repoCases().filter((x) => ['gpt2-op17', 'llama-op17', 'qwen2-op17', 'bert-op14', 'vit-op17', 'gptneox-op17'].includes(x.id))) {
    it(`${c.id}: mean ‖context_h‖ per head over unpadded tokens; KV groups sum their heads`, async () => {
      const { report, map, model } = await importanceOf(c);
      const contexts = map.blocks.map((b) => b.attention.context);
      const whole = model.inlinedProto();
      const exposed = create(ModelProtoSchema, {
        ...whole,
        graph: { ...whole.graph!, output: [...whole.graph!.output, ...contexts.map((name) => create(ValueInfoProtoSchema, { name }))] },
      });
      const out = await runModel(toBinary(ModelProtoSchema, exposed), c.feeds, contexts);
      map.blocks.forEach((b, i) => {
        const { heads: H, headDim: hd, kvHeads } = b.attention;
        const ctx = out[contexts[i]].data as Float32Array;
        const want = new Float64Array(H);
        let count = 0;
        for (let n = 0; n < c.mask.length; n++) {
          if (!c.mask[n]) continue;
          count++;
          for (let h = 0; h < H; h++) want[h] += norm(ctx.subarray(n * H * hd + h * hd, n * H * hd + (h + 1) * hd));
        }
        const heads = Array.from(want, (v) => v / count);
        assert.ok(maxAbsDiff(report.heads[i], heads) < 1e-5, `${c.id} block ${i}: heads ${report.heads[i]} vs ${heads}`);
        const r = H / kvHeads;
        const groups = Array.from({ length: kvHeads }, (_, g) => heads.slice(g * r, (g + 1) * r).reduce((s, v) => s + v, 0));
        assert.ok(maxAbsDiff(report.kvGroups[i], groups) < 1e-5, `${c.id} block ${i}: KV groups`);
      });
      if (c.id === 'qwen2-op17' || c.id === 'llama-op17') assert.ok(report.kvGroups[0].length < report.heads[0].length, 'grouped-query attention');
    });
  }
});
