import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { readRgbImage } from '../../../src/core/data/imageData';
import { preprocessImage, preprocessingFor } from '../../../src/core/data/imagePreprocess';
import { resizeLikePil } from '../../../src/core/data/imageResize';
import { repoFixtures } from '../../helpers/fixtures';
import { fixturesDir } from '../../helpers/paths';

/**
 * Image preprocessing against the vision fixtures' input:pixel_values, which PIL + numpy made from
 * test/fixtures/images per each model's preprocessor_config.json (resize with the config's filter, centre crop,
 * rescale, normalize). PNGs decode identically everywhere, so they must match to float32 rounding; JPEG decoders
 * may differ by a level or two (jpeg-js vs libjpeg), so they get a few levels of slack.
 */
describe('importance: image preprocessing matches PIL', () => {
  for (const f of repoFixtures((x) => x.truth.family === 'vit')) {
    const batch = (f.truth as { batch?: { images: string[] } }).batch;
    if (!batch) continue;
    it(`${f.id}: ${batch.images.join(', ')}`, () => {
      const pre = preprocessingFor(f.model, undefined);
      const want = f.refs().get('input:pixel_values')!;
      const plane = want.shape[1] * want.shape[2] * want.shape[3];
      batch.images.forEach((file, k) => {
        const got = preprocessImage(readRgbImage(path.join(fixturesDir, 'images', file)), pre);
        assert.deepEqual([3, got.height, got.width], want.shape.slice(1));
        const ref = (want.data as Float32Array).subarray(k * plane, (k + 1) * plane);
        let worst = 0;
        for (let i = 0; i < plane; i++) worst = Math.max(worst, Math.abs(got.data[i] - ref[i]));
        // One 8-bit level is 1/255/std ≈ 0.017 here.
        const levels = worst * 255 * Math.min(...pre.std!);
        const allowed = 2.5;
        assert.ok(file.endsWith('.png') ? worst <= 1e-6 : levels <= allowed, `${file}: max |diff| ${worst} (${levels.toFixed(2)} levels)`);
      });
    });
  }

  it('resizing keeps a constant image constant and downscales with antialiasing', () => {
    const flat = { width: 40, height: 30, data: new Uint8Array(40 * 30 * 3).fill(77) };
    for (const filter of [0, 1, 2, 3, 4, 5]) assert.ok(resizeLikePil(flat, 13, 17, filter).data.every((v) => v === 77), `filter ${filter}`);
    // A one-pixel checkerboard averages to grey when shrunk 4× with a widened filter (nearest would alias).
    const checker = { width: 32, height: 32, data: Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) => (((i / 3) | 0) % 32 + (((i / 3) | 0) >> 5)) % 2 ? 255 : 0) };
    const small = resizeLikePil(checker, 8, 8, 2);
    assert.ok(small.data.every((v) => Math.abs(v - 127.5) < 2), `bilinear 4× shrink averages: ${small.data.slice(0, 6)}`);
  });
});
