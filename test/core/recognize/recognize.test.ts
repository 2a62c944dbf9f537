import * as assert from 'node:assert/strict';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { analyzeModel } from '../../../src/core/recognize/recognize';
import { throughNoOps } from '../../../src/core/recognize/graphWalk';
import { SubcloneError } from '../../../src/core/errors';
import { repoFixtures, sharedRefFixtures, type Fixture } from '../../helpers/fixtures';
import { exampleModel } from '../../helpers/paths';

const FLAVOUR_KEYS = ['norm', 'normPlacement', 'activation', 'gatedMlp', 'fusedQkv', 'parallelResidual', 'biases', 'head'] as const;

describe('transformer recognition: the map equals the true config', () => {
  const fixtures: Fixture[] = [...repoFixtures((f) => f.truth.family !== null), ...sharedRefFixtures()];
  for (const fx of fixtures) {
    it(`${fx.id}: family, dims, flavour and residual stream`, async () => {
      const model = OnnxModel.load(fx.model);
      const { map, graph } = await analyzeModel(model);
      assert.equal(map.family, fx.truth.family);
      if (fx.truth.variant !== undefined) assert.equal(map.variant, fx.truth.variant);
      assert.deepEqual(map.dims, fx.truth.dims);
      const flavour = fx.truth.flavour ?? {};
      for (const key of FLAVOUR_KEYS) if (key in flavour) assert.deepEqual(map.flavour[key], flavour[key], `flavour.${key}`);
      if ('tiedHead' in flavour) assert.equal(map.flavour.tiedHead ?? false, flavour.tiedHead, 'flavour.tiedHead');
      if (typeof flavour.position === 'string') {
        assert.equal(map.flavour.position, flavour.position.replace('+token_type', ''));
        assert.equal(map.flavour.tokenTypes, flavour.position.includes('token_type'));
      }
      // Where the generator located the residual stream and MLP hidden values, ours must be the same values.
      const same = (a: string, b: string | null | undefined) => b == null || throughNoOps(graph, a) === throughNoOps(graph, b);
      const t = fx.truth.tensors;
      map.blocks.forEach((b, i) => {
        assert.ok(same(b.output, t?.blockOutputs?.[i]), `block ${i} output ${b.output} vs ${t?.blockOutputs?.[i]}`);
        assert.ok(same(b.input, t?.blockInputs?.[i]), `block ${i} input ${b.input} vs ${t?.blockInputs?.[i]}`);
        assert.ok(same(b.mlp.hidden, t?.mlpHidden?.[i]), `block ${i} MLP hidden ${b.mlp.hidden} vs ${t?.mlpHidden?.[i]}`);
      });
      if (t?.embed) assert.ok(same(map.embedding.output, t.embed), `embedding output ${map.embedding.output} vs ${t.embed}`);
      // Every parameter the generator mapped has a role; tied copies are marked.
      for (const [torchName, copies] of Object.entries(fx.truth.paramMap ?? {})) {
        for (const c of copies) {
          const p = map.params.find((x) => x.name === c.initializer);
          assert.ok(p, `${torchName} (${c.initializer}) is a parameter`);
          assert.notEqual(p.role, 'other', `${torchName} (${c.initializer}) has a role`);
        }
      }
      model.close();
    });
  }

  it('counts the example parent\'s parameters like PyTorch (tied head once)', async () => {
    const { map } = await analyzeModel(OnnxModel.load(exampleModel));
    assert.equal(map.parameterCounts.total, 2_743_296);
    assert.equal(map.final.head?.tiedTo, 'transformer.wte.weight');
  });
});

describe('what is not a transformer is rejected', () => {
  for (const fx of repoFixtures((f) => f.truth.family === null)) {
    it(`${fx.id}: Unsupported, saying what was found and what is missing`, async () => {
      await assert.rejects(analyzeModel(OnnxModel.load(fx.model)), (e: unknown) => {
        assert.ok(e instanceof SubcloneError && e.code === 'Unsupported', String(e));
        assert.match(e.message, /not a transformer: (found .* but no|no token embedding)/);
        return true;
      });
    });
  }
});
