import * as assert from 'node:assert/strict';
import { bfloat16ToFloat32, float16ToFloat32, float32ToBfloat16, float32ToFloat16, floatToHalfBits } from '../../../src/core/onnx/float16';
import { bytesToFloat32 } from '../../../src/core/onnx/tensorValues';
import { DataType } from '../../../src/core/onnx/dataType';

describe('float16 and bfloat16', () => {
  it('every half value converts to float32 and back unchanged', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const f = float16ToFloat32(all);
    const back = float32ToFloat16(f);
    for (let h = 0; h < 65536; h++) {
      if (Number.isNaN(f[h])) assert.ok(Number.isNaN(float16ToFloat32(Uint16Array.of(back[h]))[0]));
      else assert.equal(back[h], h, `half ${h.toString(16)}`);
    }
  });

  it('known values and rounding', () => {
    const cases: [number, number][] = [
      [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65520, 0x7c00], [2 ** -24, 0x0001], [2 ** -25, 0x0000],
      [1 + 2 ** -11, 0x3c00], // halfway: rounds to even
      [1 + 3 * 2 ** -11, 0x3c02],
      [0.1, 0x2e66], [Infinity, 0x7c00], [-0, 0x8000],
    ];
    for (const [v, h] of cases) assert.equal(floatToHalfBits(v), h, `${v}`);
  });

  it('bfloat16 keeps the top half of float32 and rounds to nearest even', () => {
    const values = Float32Array.of(1, -3.5, 1e30, 3.14159, 0);
    const back = bfloat16ToFloat32(float32ToBfloat16(values));
    assert.deepEqual(Array.from(back.slice(0, 2)), [1, -3.5]);
    assert.ok(Math.abs(back[3] - 3.140625) < 1e-6);
    assert.ok(Math.abs(back[2] / 1e30 - 1) < 1 / 128);
  });

  it('reads float16 tensors from unaligned raw bytes', () => {
    const halves = float32ToFloat16(Float32Array.of(0.5, -1.25, 3));
    const bytes = new Uint8Array(7);
    bytes.set(new Uint8Array(halves.buffer), 1);
    assert.deepEqual(Array.from(bytesToFloat32(DataType.FLOAT16, bytes.subarray(1))), [0.5, -1.25, 3]);
  });
});
