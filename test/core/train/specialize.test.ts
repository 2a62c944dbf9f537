import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { ModelProtoSchema } from '../../../src/core/onnx/proto';
import { specialise } from '../../../src/core/train/specialize';
import { parameterFeeds } from '../../../src/core/train/trainingGraph';
import { fixtureIds, fixturesDir } from '../../helpers/paths';
import { maxAbsDiff } from '../../helpers/ort';
import { loadFixture } from './fixtureTarget';

/** Ops that only compute shapes, masks and tables from shapes: none may survive specialisation. */
const PLUMBING = ['Shape', 'ConstantOfShape', 'Range', 'Trilu', 'Cos', 'Sin', 'Constant'];

describe('specialising a model to a static batch shape', function () {
  this.timeout(120000);
  for (const id of ['gpt2-op14', 'llama-op17', 'bert-op17-mlm', 'vit-op17', 'gpt2-op17-past']) {
    it(`${id}: folds the shape plumbing and computes the same output`, async function () {
      if (!fixtureIds().includes(id)) this.skip();
      const f = loadFixture(path.join(fixturesDir, 'models', id));
      try {
        const spec = await specialise(f.model, f.target, f.feeds);
        const ops = new Set(spec.proto.graph!.node.map((n) => n.opType));
        const left = PLUMBING.filter((op) => ops.has(op));
        assert.deepEqual(left, [], `shape plumbing left: ${left.join(', ')}`);
        assert.ok(spec.proto.graph!.node.length < f.model.graph.node.length / 2, `${spec.proto.graph!.node.length} of ${f.model.graph.node.length} nodes left`);
        for (const c of spec.copies) {
          const tie = spec.proto.graph!.node.find((n) => n.output[0] === c.copy)!;
          assert.equal(tie.opType, c.transposed ? 'Transpose' : 'Identity');
          assert.deepEqual(tie.input, [c.of]);
        }
        const session = await ort.InferenceSession.create(toBinary(ModelProtoSchema, spec.proto), { logSeverityLevel: 3 });
        const out = await session.run({ ...f.feeds, ...parameterFeeds(f.model, spec.params) });
        await session.release();
        const output = f.truth.loss.output;
        const ref = f.refs.get(`output:${output}`)!;
        assert.ok(maxAbsDiff(out[output].data as Float32Array, ref.data as Float32Array) < 1e-4);
      } finally {
        f.model.close();
      }
    });
  }
});
