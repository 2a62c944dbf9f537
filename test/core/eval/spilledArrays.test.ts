import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { calibrationFor } from '../../../src/core/importance/calibrationFor';
import { makeLossProbe } from '../../../src/core/eval/lossProbe';
import { SpilledArrays } from '../../../src/core/eval/spilledArrays';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { recognize } from '../../../src/core/recognize/recognize';
import { randomInit } from '../../../src/core/train/randomInit';
import { trainingTargetFromMap } from '../../../src/core/train/target';
import { fixturePath } from '../../helpers/paths';

const openFds = () => fs.readdirSync('/proc/self/fd').length;
const leftovers = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('subclone-reference-'));

function arrays(n: number, length: number): Float32Array[] {
  return Array.from({ length: n }, (_, k) => Float32Array.from({ length: length + k }, (_, i) => Math.sin(k * 1000 + i)));
}

describe('reference outputs spilled to a temporary file', () => {
  it('below the limit they stay in memory; above it every array reads back equal, from a file no folder shows', () => {
    const small = new SpilledArrays(1 << 20);
    const fds = openFds();
    for (const a of arrays(3, 100)) small.push(a);
    assert.equal(openFds(), fds, 'no file for a small set');
    arrays(3, 100).forEach((a, k) => assert.deepEqual(small.get(k), a));

    const before = leftovers();
    const big = new SpilledArrays(1000);
    const pushed = arrays(12, 100); // 400+ bytes each: the third one spills
    for (const a of pushed) big.push(a);
    assert.equal(big.length, 12);
    assert.equal(openFds(), fds + 1, 'one descriptor holds the spilled arrays');
    assert.deepEqual(leftovers(), before, 'the temporary file is not left in a folder');
    for (const k of [11, 0, 5, 2, 3]) assert.deepEqual(big.get(k), pushed[k], `array ${k}`);
    big.close();
    assert.equal(openFds(), fds, 'close frees the file');
    assert.throws(() => big.get(0), /after they were freed/);
  });

  it('the KL loss of a masked-LM head is the same with its parent logits spilled to disk', async () => {
    const parent = OnnxModel.load(fixturePath('bert-op17-mlm'));
    try {
      const map = await recognize(parent);
      assert.equal(map.final.head?.kind, 'lm');
      const source = () => calibrationFor(parent.file!, map, { data: { kind: 'random' }, samples: 6, batchSize: 2, seed: 3 });
      const inMemory = await makeLossProbe(parent, map, source(), { provider: 'cpu' });
      const spilled = await makeLossProbe(parent, map, source(), { provider: 'cpu', spillAboveBytes: 0 });
      assert.match(spilled.metric, /KL/);
      const other = randomInit(parent, trainingTargetFromMap(map), 1);
      const a = await inMemory.loss(other);
      const b = await spilled.loss(other);
      assert.ok(a > 0.01, `KL to a random init is ${a}`);
      assert.equal(b, a);
      assert.ok((await spilled.loss(parent)) < 1e-6, 'the parent is at distance 0 from itself');
      inMemory.close();
      spilled.close();
    } finally {
      parent.close();
    }
  });
});
