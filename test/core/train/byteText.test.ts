import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { byteText } from '../../../src/core/data/byteText';
import { textCalibration } from '../../../src/core/data/textCalibration';
import { byteTokenTable, findTokenizer, loadTextTokens } from '../../../src/core/data/textData';
import { Rng } from '../../../src/core/random/rng';
import { exampleDir, exampleModel, tempDir } from '../../helpers/paths';

const kjv = path.join(exampleDir, 'kjv.txt');

/** Byte-level text read by range: the same tokens and split as reading the whole file, at the cost of the windows read. */
describe('text data: byte-level files read by range', () => {
  it('gives the ids and the split loadTextTokens gives, with and without the byte table', () => {
    const table = byteTokenTable(JSON.parse(fs.readFileSync(findTokenizer(exampleModel)!, 'utf8')))!;
    for (const [label, t] of [['bytes', undefined], ['byte table', table]] as const) {
      const whole = loadTextTokens(kjv, t ? { tokenizer: findTokenizer(exampleModel)! } : {});
      const ranged = byteText(kjv, t, 0.05);
      assert.equal(ranged.splitByte, whole.splitByte, label);
      assert.deepEqual([ranged.train.length, ranged.validation.length], [whole.train.length, whole.validation.length], label);
      const rng = new Rng(3, label);
      for (const [part, ids] of [[ranged.train, whole.train], [ranged.validation, whole.validation]] as const) {
        for (let k = 0; k < 20; k++) {
          const count = 1 + rng.int(600);
          const start = rng.int(part.length - count + 1);
          assert.deepEqual(part.read(start, count), ids.subarray(start, start + count), `${label} ${start}+${count}`);
        }
      }
      let want = -1;
      for (const ids of [whole.train, whole.validation]) for (const id of ids) want = Math.max(want, id);
      assert.equal(ranged.maxId(), want, label);
    }
  });

  it('moves the split past a character cut in half, as the whole-file reader does', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'text.txt');
      // 95% of 80 bytes is byte 76, the middle of the 4-byte 𝄞 at 74..77.
      fs.writeFileSync(file, `${'a'.repeat(74)}𝄞bb`);
      assert.equal(byteText(file, undefined, 0.05).splitByte, 78);
      assert.equal(byteText(file, undefined, 0.05).splitByte, loadTextTokens(file, { validationFraction: 0.05 }).splitByte);
    } finally {
      cleanup();
    }
  });

  it('calibrates on a 5 GiB text (more than one buffer can hold) reading only its windows', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'huge.txt');
      // Sparse: the file costs no disk; a reader that loads it whole fails (a Buffer holds at most 4 GiB).
      fs.writeFileSync(file, 'And God said, Let there be light: and there was light.\n');
      fs.truncateSync(file, 5 * 2 ** 30);
      const source = textCalibration(file, { modelFile: exampleModel, inputs: [{ name: 'input_ids', dtype: 'int64', shape: ['batch', 'sequence'] }], vocab: 256, samples: 4, sequenceLength: 32, batchSize: 2, seed: 0 });
      assert.equal(source.batches, 2);
      const first = source.batch(0) as Record<string, { data: BigInt64Array; dims: readonly number[] }>;
      assert.deepEqual(first.input_ids.dims, [2, 32]);
      assert.equal(Buffer.from(Array.from(first.input_ids.data.subarray(0, 7), Number)).toString(), 'And God', 'the first window starts at the file\'s start');
    } finally {
      cleanup();
    }
  });
});
