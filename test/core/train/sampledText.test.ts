import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SAMPLED_TEXT_MIN_BYTES, sampledText } from '../../../src/core/data/sampledText';
import { randomWindowsInPieces } from '../../../src/core/data/tokenWindows';
import { TRAINING_PIECES, loadTrainingText } from '../../../src/core/data/trainingText';
import { textCalibration } from '../../../src/core/data/textCalibration';
import { findTokenizer, heldOutSplit, loadTextTokens, tokenizerEncoder } from '../../../src/core/data/textData';
import { exampleDir, exampleModel, tempDir } from '../../helpers/paths';

const kjv = path.join(exampleDir, 'kjv.txt');

/** A tokenizer with merges (not a byte table), so text goes through the real encoder: the byte-level one plus two merges. */
function writeMergingTokenizer(dir: string): string {
  const json = JSON.parse(fs.readFileSync(findTokenizer(exampleModel)!, 'utf8'));
  json.model.vocab = { ...json.model.vocab, th: 256, 'Ġth': 257 };
  json.model.merges = ['t h', 'Ġ th'];
  const file = path.join(dir, 'tokenizer.json');
  fs.writeFileSync(file, JSON.stringify(json));
  return file;
}

/** Where `window` occurs in `ids` at or after `from`, or -1. */
function find(ids: Int32Array, window: Int32Array, from: number): number {
  outer: for (let p = from; p + window.length <= ids.length; p++) {
    for (let i = 0; i < window.length; i++) if (ids[p + i] !== window[i]) continue outer;
    return p;
  }
  return -1;
}

/** Text with a real tokenizer, tokenized only in the windows sampled from it (large corpora). */
describe('text data: tokenizer windows sampled by range', () => {
  it('gives windows that are stretches of the whole file\'s tokens, in order, spread over each split', () => {
    const { dir, cleanup } = tempDir();
    try {
      const tokenizer = writeMergingTokenizer(dir);
      const whole = loadTextTokens(kjv, { tokenizer });
      const text = sampledText(kjv, tokenizerEncoder(tokenizer), 0.05);
      assert.equal(text.splitByte, whole.splitByte);
      for (const [part, ids, count] of [['train', whole.train, 12], ['validation', whole.validation, 5]] as const) {
        const length = 200;
        const windows = text.windows(part, count, length);
        assert.equal(windows.length, count * length);
        let at = 0;
        const found: number[] = [];
        for (let k = 0; k < count; k++) {
          const w = windows.read(k * length, length);
          const p = find(ids, w, at);
          assert.ok(p >= 0, `${part} window ${k} is a stretch of the whole file's tokens`);
          found.push(p);
          at = p + length; // in order, not overlapping
        }
        assert.ok(found[0] < length, `${part}: the first window starts at the part's start`);
        assert.ok(found[count - 1] > ids.length * ((count - 1.5) / count), `${part}: the last window is in the part's last stretch (${found[count - 1]} of ${ids.length})`);
        assert.ok(Array.from(windows.read(0, windows.length)).includes(257), 'the merges apply');
        let max = -1;
        for (const id of windows.read(0, windows.length)) max = Math.max(max, id);
        assert.equal(windows.maxId(), max);
      }
    } finally {
      cleanup();
    }
  });

  it('calibrates on a 5 GiB text with a tokenizer, tokenizing only its windows', () => {
    const { dir, cleanup } = tempDir();
    try {
      const tokenizer = writeMergingTokenizer(dir);
      const file = path.join(dir, 'huge.txt');
      const opening = 'In the beginning God created the heaven and the earth.\nAnd the earth was without form, and void.\n';
      fs.writeFileSync(file, opening.repeat(64));
      fs.truncateSync(file, 5 * 2 ** 30); // sparse; the whole-file tokenizer cannot load it (a Buffer holds 4 GiB at most)
      const progress: number[] = [];
      const source = textCalibration(file, {
        modelFile: path.join(dir, 'model.onnx'), inputs: [{ name: 'input_ids', dtype: 'int64', shape: ['batch', 'sequence'] }],
        vocab: 258, samples: 4, sequenceLength: 24, batchSize: 2, seed: 0, onProgress: (done) => progress.push(done),
      });
      assert.equal(source.description.tokenizer, tokenizer);
      assert.equal(source.batches, 2);
      assert.deepEqual(progress, [1, 2, 3, 4], 'progress counts the windows tokenized');
      const first = source.batch(0) as Record<string, { data: BigInt64Array; dims: readonly number[] }>;
      assert.deepEqual(first.input_ids.dims, [2, 24]);
      const expected = tokenizerEncoder(tokenizer)(opening.repeat(4)).slice(0, 24);
      assert.deepEqual(Array.from(first.input_ids.data.subarray(0, 24), Number), expected, 'the first window is the file\'s first tokens');
    } finally {
      cleanup();
    }
  });

  it('says so when a part holds fewer tokens than one window', () => {
    const { dir, cleanup } = tempDir();
    try {
      const text = sampledText(kjv, tokenizerEncoder(writeMergingTokenizer(dir)), 0.05);
      assert.throws(() => text.windows('validation', 1, 10_000_000), (e: Error) => /kjv\.txt has \d+ tokens from byte \d+ to byte \d+, fewer than one window of 10000000/.test(e.message));
    } finally {
      cleanup();
    }
  });
});

describe('text data: a large text for training, sampled in pieces', () => {
  let dir: string;
  let cleanup: () => void;
  let file: string;
  let bytes: Buffer;
  before(() => {
    ({ dir, cleanup } = tempDir());
    file = path.join(dir, 'large.txt');
    // The Bible's lines numbered through: every stretch of a few lines occurs once in the file.
    const lines = fs.readFileSync(kjv, 'utf8').split('\n');
    const parts: string[] = [];
    let size = 0;
    for (let i = 0; size < SAMPLED_TEXT_MIN_BYTES; i++) {
      const line = `${i} ${lines[i % lines.length]}\n`;
      parts.push(line);
      size += Buffer.byteLength(line);
    }
    bytes = Buffer.from(parts.join(''), 'utf8');
    fs.writeFileSync(file, bytes);
  });
  after(() => cleanup());

  it('reads byte-level text as pieces of the training part spread over it, and the held-out windows from the tail\'s start', () => {
    const span = 65;
    const tokens = loadTrainingText(file, { span, evalWindows: 16 });
    const piece = tokens.trainPiece!;
    assert.ok(piece >= span);
    assert.equal(tokens.train.length, TRAINING_PIECES * piece);
    assert.equal(tokens.splitByte, heldOutSplit(bytes.length, 0.05, (i) => bytes[i]), 'the split is the file\'s last 5%, as for a small file');
    let previous = -1;
    for (const k of [0, 1, 2, TRAINING_PIECES / 2, TRAINING_PIECES - 1]) {
      const ids = tokens.train.subarray(k * piece, (k + 1) * piece);
      const at = bytes.indexOf(Buffer.from(ids), previous + 1);
      assert.ok(at > previous && at + piece <= tokens.splitByte, `piece ${k} is a stretch of the training part, after the one before`);
      previous = at;
    }
    assert.ok(previous > tokens.splitByte * 0.99, 'the last piece ends the training part');
    assert.deepEqual(Buffer.from(tokens.validation), bytes.subarray(tokens.splitByte, tokens.splitByte + 16 * span));
  });

  it('tokenizes only the sampled pieces with a real tokenizer, and training windows stay inside a piece', () => {
    const tokenizer = writeMergingTokenizer(dir);
    const span = 33;
    const tokens = loadTrainingText(file, { tokenizer, span, evalWindows: 'all' });
    const piece = tokens.trainPiece!;
    assert.equal(tokens.train.length, TRAINING_PIECES * piece);
    assert.equal(tokens.tokenizer, tokenizer);
    const encode = tokenizerEncoder(tokenizer);
    const firstPieceText = new TextDecoder().decode(bytes.subarray(0, piece * 8));
    assert.deepEqual(Array.from(tokens.train.subarray(0, piece)), encode(firstPieceText).slice(0, piece), 'the first piece is the file\'s first tokens');
    assert.ok(tokens.validation.length > 0 && tokens.validation.length % span === 0);
    const starts = randomWindowsInPieces(TRAINING_PIECES, piece, span, 4096, 0, 'batch:0');
    assert.ok(starts.every((s) => (s % piece) + span <= piece), 'no window crosses two pieces');
    assert.ok(new Set(starts.map((s) => Math.floor(s / piece))).size > TRAINING_PIECES / 2, 'windows come from all over the pool');
  });
});
