import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { CalibrationSource } from '../../../src/core/data/calibrationSource';
import { isSubcloneError } from '../../../src/core/errors';
import { calibrationFor } from '../../../src/core/importance/calibrationFor';
import { computeImportance } from '../../../src/core/importance/computeImportance';
import type { ImportanceProgress } from '../../../src/core/importance/options';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { recognize } from '../../../src/core/recognize/recognize';
import type { TransformerMap } from '../../../src/core/recognize/transformerMap';
import { exampleDir, exampleModel } from '../../helpers/paths';

const kjv = path.join(exampleDir, 'kjv.txt');
const cancelled = (e: unknown) => isSubcloneError(e, 'Cancelled');

describe('importance: progress and cancellation', () => {
  let model: OnnxModel;
  let map: TransformerMap;
  before(async () => {
    model = OnnxModel.load(exampleModel);
    map = await recognize(model);
  });

  it('reports progress per batch with the tokens counted so far', async () => {
    const seen: ImportanceProgress[] = [];
    const report = await computeImportance(model, map, { data: { kind: 'path', path: kjv }, samples: 12, batchSize: 4, provider: 'cpu', onProgress: (p) => seen.push(p) });
    const runs = seen.filter((p) => p.stage === 'calibration');
    assert.deepEqual(runs.map((p) => [p.done, p.total, p.tokens]), [[0, 3, 0], [1, 3, 512], [2, 3, 1024], [3, 3, 1536]]);
    assert.ok(seen.some((p) => p.stage === 'data'), 'tokenizing progress');
    assert.equal(report.calibration.tokens, 1536);
    assert.deepEqual([report.calibration.samples, report.calibration.sequenceLength], [12, 128]);
  });

  it('stops within one batch of the abort: the batch running finishes, no other starts', async () => {
    const controller = new AbortController();
    const base = calibrationFor(exampleModel, map, { data: { kind: 'path', path: kjv }, samples: 40, batchSize: 4 });
    const requested: number[] = [];
    // The abort fires while batch 3 is being prepared, i.e. during that batch's turn.
    const source: CalibrationSource = {
      description: base.description,
      batches: base.batches,
      batch(i) {
        requested.push(i);
        if (i === 3) controller.abort();
        return base.batch(i);
      },
    };
    const done: number[] = [];
    await assert.rejects(
      computeImportance(model, map, { data: { kind: 'source', source }, provider: 'cpu', signal: controller.signal, onProgress: (p) => p.stage === 'calibration' && p.done > 0 && done.push(p.done) }),
      cancelled,
    );
    assert.equal(base.batches, 10);
    assert.deepEqual(requested, [0, 1, 2, 3], 'no batch after the one running at the abort');
    assert.ok(done.length <= 4, `ran ${done.length} batches`);
  });

  it('an already aborted signal runs nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    const seen: ImportanceProgress[] = [];
    await assert.rejects(computeImportance(model, map, { data: { kind: 'path', path: kjv }, samples: 4, provider: 'cpu', signal: controller.signal, onProgress: (p) => seen.push(p) }), cancelled);
    assert.equal(seen.length, 0);
  });

  it('cancels the data-free mode too', async () => {
    const controller = new AbortController();
    let calls = 0;
    await assert.rejects(
      computeImportance(model, map, { data: { kind: 'weights' }, signal: controller.signal, onProgress: () => ++calls === 3 && controller.abort() }),
      cancelled,
    );
    assert.equal(calls, 3);
  });
});
