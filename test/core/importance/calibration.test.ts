import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isSubcloneError, type ErrorCode } from '../../../src/core/errors';
import { calibrationFor } from '../../../src/core/importance/calibrationFor';
import type { CalibrationRequest } from '../../../src/core/importance/options';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { recognize } from '../../../src/core/recognize/recognize';
import type { TransformerMap } from '../../../src/core/recognize/transformerMap';
import { exampleDir, exampleModel, fixturePath, fixturesDir, tempDir } from '../../helpers/paths';

const images = path.join(fixturesDir, 'images');
const kjv = path.join(exampleDir, 'kjv.txt');

async function mapOf(file: string): Promise<TransformerMap> {
  const model = OnnxModel.load(file);
  try {
    return await recognize(model);
  } finally {
    model.close();
  }
}

function rejects(f: () => unknown, code: ErrorCode, message: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(isSubcloneError(e, code), `expected ${code}, got ${String(e)}`);
    assert.match((e as Error).message, message);
    return true;
  });
}

describe('importance: calibration data', () => {
  let text: TransformerMap;
  let vision: TransformerMap;
  let tmp: { dir: string; cleanup: () => void };
  before(async () => {
    text = await mapOf(exampleModel);
    vision = await mapOf(fixturePath('vit-op17'));
    tmp = tempDir();
  });
  after(() => tmp.cleanup());
  const textData = (p: string, samples?: number) => calibrationFor(exampleModel, text, { data: { kind: 'path', path: p }, ...(samples ? { samples } : {}) });
  const imageData = (p: string, samples?: number) => calibrationFor(fixturePath('vit-op17'), vision, { data: { kind: 'path', path: p }, ...(samples ? { samples } : {}) });

  it('a sequence longer than the model\'s positions is refused before a batch runs', () => {
    rejects(() => calibrationFor(exampleModel, text, { data: { kind: 'path', path: kjv }, sequenceLength: 256 }), 'BadArgument', /^a sequence length of 256 is longer than the model's 128 positions: choose at most 128$/);
  });

  it('text: 64 sequences × the context by default, batches of about 1024 tokens, the model\'s tokenizer', async () => {
    const s = textData(kjv);
    assert.deepEqual([s.description.samples, s.description.sequenceLength, s.batches], [64, 128, 8]);
    assert.equal(s.description.tokenizer, path.join(exampleDir, 'tokenizer.json'));
    const feeds = await s.batch(1);
    assert.deepEqual(feeds.input_ids.dims, [8, 128]);
    // Windows are spread over the text: the first and second sequences differ.
    const ids = feeds.input_ids.data as BigInt64Array;
    assert.notDeepEqual(ids.slice(0, 128), ids.slice(128, 256));
  });

  it('text shorter than the requested windows: fewer sequences; shorter than one window: an error saying so', async () => {
    const small = path.join(tmp.dir, 'small.txt');
    fs.writeFileSync(small, 'In the beginning God created the heaven and the earth. '.repeat(12)); // 660 bytes, 627 for calibration
    const s = textData(small, 64);
    assert.deepEqual([s.description.samples, s.description.sequenceLength], [4, 128]);
    const tiny = path.join(tmp.dir, 'tiny.txt');
    fs.writeFileSync(tiny, 'x'.repeat(100)); // 95 bytes before the held-out 5%
    assert.throws(() => textData(tiny), (e) => isSubcloneError(e, 'MissingData') && /tiny\.txt has 95 tokens to calibrate on \(its first 95%\), fewer than one window of 128 tokens/.test(e.message));
  });

  it('a model without a baked position limit (rotary) calibrates at its config.json context, not a guess', async () => {
    const dir = path.join(tmp.dir, 'rotary');
    fs.mkdirSync(dir);
    const model = path.join(dir, 'model.onnx');
    fs.copyFileSync(fixturePath('llama-op17'), model);
    const map = await mapOf(model);
    assert.equal(map.dims.context, null, 'rotary positions: the graph bakes no limit');
    const text = path.join(dir, 'digits.txt');
    fs.writeFileSync(text, '0123456789'.repeat(2000)); // byte ids 48–57: inside the fixture's vocabulary
    const guess = calibrationFor(model, map, { data: { kind: 'path', path: text }, samples: 2 });
    assert.equal(guess.description.sequenceLength, 1024, 'no config.json: the default');
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'llama', max_position_embeddings: 96 }));
    const configured = calibrationFor(model, map, { data: { kind: 'path', path: text }, samples: 2 });
    assert.equal(configured.description.sequenceLength, 96);
  });

  it('token ids outside the vocabulary (bytes for a model with a smaller vocabulary): a clear error', async () => {
    const llama = await mapOf(fixturePath('llama-op17'));
    rejects(() => calibrationFor(fixturePath('llama-op17'), llama, { data: { kind: 'path', path: kjv } }), 'MissingData', /kjv\.txt tokenized as bytes \(no tokenizer\.json beside the model\) gives token id \d+, outside the model's vocabulary of 96/);
  });

  it('images: every PNG/JPEG of a folder (subfolders too), preprocessed to the model\'s size', async () => {
    const s = imageData(images);
    assert.equal(s.description.samples, 8);
    const feeds = await s.batch(0);
    assert.deepEqual(feeds.pixel_values.dims, [8, 3, 16, 16]);
    const three = imageData(images, 3);
    assert.equal(three.description.samples, 3);
  });

  const errors: [string, () => CalibrationRequest | string, 'text' | 'vision', ErrorCode, RegExp][] = [
    ['a missing path', () => path.join(tmp.dir, 'nope.txt'), 'text', 'MissingData', /cannot read the calibration data .*nope\.txt/],
    ['an empty text file', () => (fs.writeFileSync(path.join(tmp.dir, 'empty.txt'), ''), path.join(tmp.dir, 'empty.txt')), 'text', 'MissingData', /empty\.txt is empty/],
    ['an image folder for a text model', () => images, 'text', 'BadArgument', /holds images, but this gpt2 model reads text/],
    ['an image file for a text model', () => path.join(images, 'rgb_16x16.png'), 'text', 'BadArgument', /is an image, but this gpt2 model reads text/],
    ['a folder without images for a text model', () => (fs.mkdirSync(path.join(tmp.dir, 'docs'), { recursive: true }), path.join(tmp.dir, 'docs')), 'text', 'BadArgument', /is a folder; this gpt2 model calibrates on text/],
    ['a .npy file', () => (fs.writeFileSync(path.join(tmp.dir, 'x.npy'), 'x'), path.join(tmp.dir, 'x.npy')), 'text', 'Unsupported', /\.npy calibration data is not supported yet/],
    ['a text file for a vision model', () => kjv, 'vision', 'BadArgument', /kjv\.txt is not a PNG or JPEG image: this model reads images/],
    ['a folder with no images', () => (fs.mkdirSync(path.join(tmp.dir, 'none'), { recursive: true }), path.join(tmp.dir, 'none')), 'vision', 'MissingData', /no PNG or JPEG images in .*none/],
    ['a folder with only WebP images', () => {
      const dir = path.join(tmp.dir, 'webp');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'a.webp'), 'x');
      return dir;
    }, 'vision', 'MissingData', /no PNG or JPEG images in .*webp \(it has 1 images in other formats, e\.g\. a\.webp: convert them/],
    ['a missing image folder', () => path.join(tmp.dir, 'gone'), 'vision', 'MissingData', /cannot read the calibration data .*gone/],
  ];
  for (const [what, make, kind, code, message] of errors) {
    it(`${what}: ${code}, naming the path and the problem`, () => {
      const p = make() as string;
      rejects(() => (kind === 'text' ? textData(p) : imageData(p)), code, message);
    });
  }

  it('an undecodable image names the file when its batch is built', async () => {
    const dir = path.join(tmp.dir, 'broken');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'bad.png'), 'not a png');
    const s = imageData(dir);
    await assert.rejects(async () => s.batch(0), (e: unknown) => isSubcloneError(e, 'MissingData') && /cannot decode the image .*bad\.png/.test((e as Error).message));
  });

  it('bad numbers are argument errors', () => {
    rejects(() => calibrationFor(exampleModel, text, { data: { kind: 'path', path: kjv }, samples: 0 }), 'BadArgument', /samples must be a whole number of at least 1, got 0/);
    rejects(() => calibrationFor(exampleModel, text, { data: { kind: 'random' }, batchSize: 1.5 }), 'BadArgument', /batch size must be a whole number/);
  });
});
