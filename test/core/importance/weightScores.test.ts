import * as assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { Graph } from '../../../src/core/graph/graph';
import { rankingOf } from '../../../src/core/importance/agreement';
import { positionUnits } from '../../../src/core/importance/axisUnits';
import { computeImportance } from '../../../src/core/importance/computeImportance';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { TensorProtoSchema, UNSET } from '../../../src/core/onnx/proto';
import { tensorDims } from '../../../src/core/onnx/tensorValues';
import { recognize } from '../../../src/core/recognize/recognize';
import type { CouplingGroup, TransformerMap } from '../../../src/core/recognize/transformerMap';
import { fixturePath } from '../../helpers/paths';

/** Multiplies every weight slice that a coupling group ties to the chosen unit(s) by `factor`, in memory. */
function plant(model: OnnxModel, group: CouplingGroup, isChosen: (units: Record<string, number>) => boolean, factor: number): void {
  const graph = new Graph(model);
  for (const m of group.members) {
    const t = graph.initializer(m.tensor)!;
    const dims = tensorDims(t);
    const values = Float32Array.from(model.float32(t));
    const positions = positionUnits(m.expr);
    const inner = dims.slice(m.axis + 1).reduce((a, b) => a * b, 1);
    for (let i = 0; i < values.length; i++) {
      if (isChosen(positions[Math.floor(i / inner) % dims[m.axis]])) values[i] *= factor;
    }
    graph.replaceInitializer(create(TensorProtoSchema, { ...t, rawData: new Uint8Array(values.buffer), floatData: [], dataLocation: UNSET, externalData: [] }));
  }
}

describe('importance: data-free scores from weight magnitudes', () => {
  for (const id of ['gpt2-op17', 'llama-op17', 'vit-op17']) {
    it(`${id}: shapes, flagged as a fallback, and planted large units rank first`, async () => {
      const model = OnnxModel.load(fixturePath(id));
      const map: TransformerMap = await recognize(model);
      const group = (kind: CouplingGroup['kind'], block: number | null) => map.groups.find((g) => g.kind === kind && g.block === block)!;
      const D = group('embedding', null);
      const F = group('ffn', 1);
      const H = group('heads', 0);
      const KV = group('kvGroups', 0);
      const neuron = Math.floor(D.size / 3);
      const unit = F.size - 2;
      const head = map.dims.heads - 1; // the last query head: in the last KV group under grouped-query attention
      plant(model, D, (u) => u[D.id] === neuron, 4);
      plant(model, F, (u) => u[F.id] === unit, 4);
      plant(model, H, (u) => (KV ? (u[KV.id] ?? -1) * H.size : 0) + (u[H.id] ?? -1) === head, 4);

      const r = await computeImportance(model, map, { data: { kind: 'weights' } });
      assert.deepEqual(r.calibration, { source: 'weights', path: null, samples: 0, tokens: 0, sequenceLength: null, fallback: true, tokenizer: null, seed: 0 });
      const L = map.dims.layers;
      assert.equal(r.embedding.perLayer.length, L + 1);
      assert.ok(r.embedding.perLayer.every((p) => p.length === map.dims.dModel));
      assert.deepEqual(r.ffn.map((f) => f.length), map.blocks.map((b) => b.mlp.ffn));
      assert.deepEqual(r.heads.map((h) => h.length), map.blocks.map((b) => b.attention.heads));
      assert.deepEqual(r.kvGroups.map((h) => h.length), map.blocks.map((b) => b.attention.kvHeads));
      assert.deepEqual(r.blocks, { relativeMagnitude: [], oneMinusCos: [] }, 'block magnitudes need activations');
      assert.equal(r.embedding.ranking[0], neuron);
      assert.equal(rankingOf(r.ffn[1])[0], unit);
      assert.equal(rankingOf(r.heads[0])[0], head);
      assert.equal(rankingOf(r.kvGroups[0])[0], map.dims.kvHeads - 1);
    });
  }
});
