import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { computeImportance } from '../../../src/core/importance/computeImportance';
import { isSubcloneError } from '../../../src/core/errors';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { tensorWithBytes } from '../../../src/core/onnx/tensorEdit';
import { recognize } from '../../../src/core/recognize/recognize';
import { exampleDir, exampleModel } from '../../helpers/paths';

const BROKEN = 'transformer.h.2.mlp.c_fc.weight';

/** The example with three NaN/∞ values written into one weight (in memory). */
async function brokenExample() {
  const model = OnnxModel.load(exampleModel);
  const t = model.graph.initializer.find((x) => x.name === BROKEN);
  assert.ok(t, `${BROKEN} is in the example`);
  const values = Float32Array.from(model.float32(t));
  values[17] = NaN;
  values[18] = Infinity;
  values[400] = -Infinity;
  model.graph.initializer[model.graph.initializer.indexOf(t)] = tensorWithBytes(t, new Uint8Array(values.buffer));
  return { model, map: await recognize(model) };
}

describe('NaN/∞ weights are named, not blamed on the data', function () {
  this.timeout(120000);

  it('calibration on text: the message names the weight, how many values and where', async () => {
    const { model, map } = await brokenExample();
    try {
      await assert.rejects(computeImportance(model, map, { data: { kind: 'path', path: path.join(exampleDir, 'kjv.txt') }, samples: 2, provider: 'cpu' }), (e) => {
        assert.ok(isSubcloneError(e, 'BadModel'), String(e));
        assert.match(e.message, /"transformer\.h\.2\.mlp\.c_fc\.weight" holds 3 NaN\/∞ values of 147,456 \(the first at element 17\)/);
        return true;
      });
    } finally {
      model.close();
    }
  });

  it('data-free scores: the same', async () => {
    const { model, map } = await brokenExample();
    try {
      await assert.rejects(computeImportance(model, map, { data: { kind: 'weights' } }), (e) => isSubcloneError(e, 'BadModel') && e.message.includes(JSON.stringify(BROKEN)));
    } finally {
      model.close();
    }
  });
});
