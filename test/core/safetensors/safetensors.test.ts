import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isSubcloneError, type ErrorCode } from '../../../src/core/errors';
import { DataType } from '../../../src/core/onnx/dataType';
import { float32ToFloat16 } from '../../../src/core/onnx/float16';
import { fromOnnxDataType, tensorByteLength, toOnnxDataType, type SafetensorsDtype } from '../../../src/core/safetensors/format';
import { openSafetensors } from '../../../src/core/safetensors/reader';
import { openCheckpointWeights, writeShardedSafetensors } from '../../../src/core/safetensors/shards';
import { writeSafetensors, type SafetensorsTensor, type TensorFromBytes } from '../../../src/core/safetensors/writer';
import { Rng } from '../../../src/core/random/rng';
import { repoRoot, tempDir } from '../../helpers/paths';

const PYTHON = '/usr/bin/python3';
const REF_SCRIPT = path.join(repoRoot, 'scripts', 'fixtures', 'safetensors_ref.py');

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function tensor(name: string, dtype: SafetensorsDtype, shape: number[], values: ArrayBufferView): TensorFromBytes {
  return { name, dtype, shape, bytes: bytesOf(values) };
}

/** The tensors scripts/fixtures/safetensors_ref.py writes, in its listed order, built here independently. */
function referenceTensors(): TensorFromBytes[] {
  const bf16 = new Uint16Array(Uint32Array.from(new Uint32Array(Float32Array.from([1, -2, 0.5, 3.25]).buffer), (u) => u >>> 16));
  return [
    tensor('embed.weight', 'F32', [4, 3], Float32Array.from({ length: 12 }, (_, i) => i * 0.25 - 1)),
    tensor('h.0.attn.bias', 'F16', [5], float32ToFloat16(Float32Array.from([0, 1, -2, 0.5, 65504]))),
    tensor('h.0.mlp.weight', 'BF16', [2, 2], bf16),
    tensor('position_ids', 'I64', [1, 4], BigInt64Array.from([0n, -3n, 2n ** 40n, -(2n ** 62n)])),
    tensor('scale', 'F64', [], Float64Array.from([Math.PI])),
    tensor('empty', 'F32', [0, 3], new Float32Array(0)),
    tensor('mask', 'BOOL', [3], Uint8Array.from([1, 0, 1])),
    tensor('ids32', 'I32', [2], Int32Array.from([-1, 123456])),
    tensor('small', 'I16', [3], Int16Array.from([-32768, 0, 32767])),
    tensor('bytes', 'U8', [4], Uint8Array.from([0, 1, 254, 255])),
    tensor('signed', 'I8', [2], Int8Array.from([-128, 127])),
    tensor('layer.ü.weight', 'F32', [1], Float32Array.from([42])),
    tensor('odd "quoted" \\ name\t', 'U8', [1], Uint8Array.from([7])),
    tensor('9', 'U8', [2], Uint8Array.from([9, 9])),
    tensor('z\u{1F600}', 'I8', [1], Int8Array.from([1])),
    tensor('z\uFF5E', 'I8', [1], Int8Array.from([2])),
  ];
}

/** The Rust implementation's order: dtype enum descending (I64, F64, F32, I32, BF16, F16, I16, I8, U8, BOOL), then name by code point. */
const WRITE_ORDER = [
  'position_ids', 'scale', 'embed.weight', 'empty', 'layer.ü.weight', 'ids32', 'h.0.mlp.weight', 'h.0.attn.bias', 'small',
  'signed', 'z\uFF5E', 'z\u{1F600}', '9', 'bytes', 'odd "quoted" \\ name\t', 'mask',
];

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** Why the Python reference cannot run here, or undefined when it can. */
function pythonMissing(): string | undefined {
  if (!fs.existsSync(PYTHON)) return `${PYTHON} is missing`;
  const probe = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' });
  return probe.status === 0 ? undefined : `${PYTHON} has no numpy (${probe.stderr.trim().split('\n').pop()})`;
}

function python(args: string[]): string {
  const run = spawnSync(PYTHON, ['-B', REF_SCRIPT, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(run.status, 0, `safetensors_ref.py ${args.join(' ')} failed: ${run.stderr}`);
  return run.stdout;
}

interface PythonRead {
  header_size: number;
  metadata: Record<string, string> | null;
  tensors: { name: string; dtype: string; shape: number[]; data_offsets: [number, number]; sha256: string }[];
}

/** A safetensors file's bytes from a header given as text or as a value for JSON.stringify. */
function rawFile(header: string | object, data: Uint8Array = new Uint8Array(0), declaredSize?: number | bigint): Uint8Array {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(declaredSize ?? json.length));
  return new Uint8Array(Buffer.concat([prefix, json, data]));
}

function assertSubcloneError(fn: () => unknown, code: ErrorCode, fragment: RegExp | string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isSubcloneError(e), `expected a SubcloneError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (typeof fragment === 'string') assert.ok(e.message.includes(fragment), `${JSON.stringify(e.message)} does not include ${JSON.stringify(fragment)}`);
    else assert.match(e.message, fragment);
    return true;
  });
}

describe('safetensors: the format against an independent Python writer and reader', function () {
  let dir: string;
  let cleanup: () => void;

  before(function () {
    const why = pythonMissing();
    if (why) {
      console.log(`      skipped: ${why}; the Python reference cannot run`);
      this.skip();
    }
    ({ dir, cleanup } = tempDir('subclone-safetensors-'));
  });
  after(() => cleanup?.());

  for (const layout of ['listed', 'hf'] as const) {
    it(`reads a file the Python script wrote (${layout} layout) value for value, in file order`, () => {
      const file = path.join(dir, `python-${layout}.safetensors`);
      python(['write', file, '--layout', layout]);
      const expected = new Map(referenceTensors().map((t) => [t.name, t]));
      const told = JSON.parse(python(['read', file])) as PythonRead;
      const st = openSafetensors(file);
      try {
        assert.deepEqual(st.metadata, { format: 'pt' });
        assert.equal(st.dataStart, 8 + told.header_size);
        const order = layout === 'hf' ? WRITE_ORDER : referenceTensors().map((t) => t.name);
        assert.deepEqual(st.tensors.map((t) => t.name), order);
        assert.deepEqual(told.tensors.map((t) => t.name), order);
        st.tensors.forEach((entry, i) => {
          const want = expected.get(entry.name)!;
          assert.equal(entry.dtype, want.dtype, entry.name);
          assert.deepEqual(entry.shape, want.shape, entry.name);
          const bytes = st.readBytes(entry.name);
          assert.deepEqual(bytes, want.bytes, entry.name);
          assert.equal(sha256(bytes), told.tensors[i].sha256, entry.name);
          assert.deepEqual([entry.begin - st.dataStart, entry.end - st.dataStart], told.tensors[i].data_offsets, entry.name);
        });
      } finally {
        st.close();
      }
    });
  }

  it('writes, byte for byte, the file the Python script writes in the Rust order (dtype, then name; header padded to 8)', () => {
    const pythonFile = path.join(dir, 'python-hf-order.safetensors');
    python(['write', pythonFile, '--layout', 'hf']);
    const ours = path.join(dir, 'ours.safetensors');
    writeSafetensors(ours, referenceTensors().reverse(), { format: 'pt' });
    const written = fs.readFileSync(ours);
    const headerSize = Number(written.readBigUInt64LE(0));
    assert.equal(headerSize % 8, 0, 'the header is padded to a multiple of 8');
    const header = written.toString('utf8', 8, 8 + headerSize);
    assert.match(header, /^\{"__metadata__":\{"format":"pt"\},"position_ids":\{"dtype":"I64","shape":\[1,4\],"data_offsets":\[0,32\]\},/);
    assert.match(header, /\} *$/);
    assert.deepEqual(written, fs.readFileSync(pythonFile));
  });

  it('writes files the Python reader accepts, streamed tensors included, with the same bytes', () => {
    const rng = new Rng(7, 'python-read');
    const big = Float32Array.from({ length: 100_003 }, () => rng.next() * 2 - 1);
    const bigBytes = bytesOf(big);
    const cuts = [0, 1, 4096, 77_777, 300_000, bigBytes.length];
    const tensors: SafetensorsTensor[] = [
      ...referenceTensors(),
      { name: 'streamed', dtype: 'F32', shape: [100_003], byteLength: bigBytes.length, chunks: () => cuts.slice(1).map((c, i) => bigBytes.subarray(cuts[i], c)) },
    ];
    const file = path.join(dir, 'for-python.safetensors');
    writeSafetensors(file, tensors, { format: 'pt', note: 'ünïcode' });
    const told = JSON.parse(python(['read', file])) as PythonRead;
    assert.deepEqual(told.metadata, { format: 'pt', note: 'ünïcode' });
    const want = new Map(tensors.map((t) => [t.name, t]));
    assert.equal(told.tensors.length, tensors.length);
    for (const t of told.tensors) {
      const source = want.get(t.name)!;
      assert.equal(t.dtype, source.dtype, t.name);
      assert.deepEqual(t.shape, source.shape, t.name);
      assert.equal(t.sha256, sha256('bytes' in source ? source.bytes : bigBytes), t.name);
    }
  });
});

describe('safetensors: rejecting malformed files as the reference implementation does', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir('subclone-safetensors-'));
  });
  after(() => cleanup());

  const f32 = (shape: number[], offsets: [number, number]) => ({ dtype: 'F32', shape, data_offsets: offsets });
  const cases: [string, Uint8Array, RegExp | string][] = [
    ['a file shorter than the size prefix', new Uint8Array(5), 'is 5 bytes, too short for a safetensors file'],
    ['a header size larger than the file', rawFile({}, new Uint8Array(0), 1000), 'the header size is 1000 bytes, but the file has only 2 after the size'],
    ['a header over 100 MB', rawFile({}, new Uint8Array(0), 100_000_001), 'the header size is 100000001 bytes, more than the 100000000'],
    ['a header size of 2^64 − 1', rawFile({}, new Uint8Array(0), 2n ** 64n - 1n), /header size is \d+ bytes, more than the 100000000/],
    ['a header that is not JSON', rawFile('{"a": nope}'), /the header is not valid JSON \(unexpected "n" at character 6\)/],
    ['a header that does not start with {', rawFile(' {}'), "the header does not start with '{'"],
    ['a header that is a list', rawFile('[]'), "the header does not start with '{'"],
    ['a header padded with a newline', rawFile('{}\n'), "the header does not end with '}' (only spaces may follow it)"],
    ['a header that is not UTF-8', rawFile('{ab}').map((b, i) => (i === 9 ? 0xff : b)), 'the header is not UTF-8 text'],
    ['a tensor named twice', rawFile('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', new Uint8Array(2)), 'the key "a" appears twice'],
    ['a hole between tensors', rawFile({ a: f32([1], [0, 4]), b: f32([1], [8, 12]) }, new Uint8Array(12)), 'bytes 4…8 of the data belong to no tensor (a hole before tensor "b", data_offsets [8, 12])'],
    ['a hole before the first tensor', rawFile({ a: f32([1], [4, 8]) }, new Uint8Array(8)), 'bytes 0…4 of the data belong to no tensor (a hole before tensor "a"'],
    ['overlapping tensors', rawFile({ b: f32([2], [4, 12]), a: f32([2], [0, 8]) }, new Uint8Array(12)), 'tensor "b" (data_offsets [4, 12]) overlaps tensor "a", which ends at 8'],
    ['bytes after the last tensor', rawFile({ a: f32([1], [0, 4]) }, new Uint8Array(6)), 'its last 2 bytes belong to no tensor (the tensors end at byte'],
    ['a byte length that does not match the shape', rawFile({ 'h.0.attn.c_attn.weight': f32([5, 6], [0, 100]) }, new Uint8Array(100)), 'tensor "h.0.attn.c_attn.weight" holds 100 bytes, but F32 [5, 6] needs 120'],
    ['offsets that end before they begin', rawFile({ a: f32([1], [4, 0]) }, new Uint8Array(4)), 'tensor "a": data_offsets [4, 0] end before they begin'],
    ['an unknown dtype', rawFile({ a: { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), 'tensor "a" has the unknown dtype "Q4"'],
    ['a missing dtype', rawFile({ a: { shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), 'tensor "a" has no dtype'],
    ['missing data_offsets', rawFile({ a: { dtype: 'U8', shape: [1] } }, new Uint8Array(1)), 'tensor "a": data_offsets is missing'],
    ['a sub-byte tensor that ends mid-byte', rawFile({ a: { dtype: 'F4', shape: [3], data_offsets: [0, 2] } }, new Uint8Array(2)), 'tensor "a": F4 [3] is not a whole number of bytes'],
    ['truncated data', rawFile({ a: f32([4], [0, 16]) }, new Uint8Array(10)), /is truncated: tensor "a" ends at byte \d+ of the file, but the file has \d+/],
    ['a negative shape entry', rawFile({ a: f32([-1], [0, 0]) }), 'tensor "a": shape holds -1, not a whole number ≥ 0'],
    ['a fractional shape entry', rawFile({ a: f32([2.5], [0, 10]) }, new Uint8Array(10)), 'tensor "a": shape holds 2.5, not a whole number ≥ 0'],
    ['a shape entry written 2.0', rawFile('{"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}', new Uint8Array(8)), 'tensor "a": shape holds 2.0, not a whole number ≥ 0'],
    ['an offset written 8e0', rawFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8e0]}}', new Uint8Array(8)), 'tensor "a": data_offsets holds 8e0'],
    ['a shape that is not a list', rawFile({ a: { dtype: 'U8', shape: 1, data_offsets: [0, 1] } }, new Uint8Array(1)), 'tensor "a": shape is 1, not a list'],
    ['a metadata value that is not a string', rawFile({ __metadata__: { n: 1 } }), '"__metadata__" entry "n" is 1; metadata values must be strings'],
    ['a name with an unpaired escaped surrogate', rawFile('{"\\ud800":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}'), 'an escaped high surrogate without its low surrogate'],
  ];
  for (const [what, bytes, fragment] of cases) {
    it(`rejects ${what}`, () => {
      const file = path.join(dir, 'bad.safetensors');
      fs.writeFileSync(file, bytes);
      assertSubcloneError(() => openSafetensors(file), 'BadModel', fragment);
      assertSubcloneError(() => openSafetensors(file), 'BadModel', file);
    });
  }

  it('accepts what the format allows: any JSON order, empty and 0-d tensors, unknown fields, "__proto__", no metadata, no tensors', () => {
    const file = path.join(dir, 'odd-but-valid.safetensors');
    const header = '{"z":{"dtype":"U8","shape":[2],"data_offsets":[3,5],"extra":[1.5]},"__proto__":{"dtype":"U8","shape":[3],"data_offsets":[0,3]},"e":{"dtype":"F64","shape":[4,0],"data_offsets":[5,5]},"s":{"dtype":"I16","shape":[],"data_offsets":[5,7]}}    ';
    fs.writeFileSync(file, rawFile(header, Uint8Array.from([1, 2, 3, 4, 5, 0xff, 0x7f])));
    const st = openSafetensors(file);
    try {
      assert.deepEqual(st.tensors.map((t) => [t.name, t.dtype, t.shape, t.end - t.begin]), [['__proto__', 'U8', [3], 3], ['z', 'U8', [2], 2], ['e', 'F64', [4, 0], 0], ['s', 'I16', [], 2]]);
      assert.equal(st.metadata, undefined);
      assert.deepEqual(st.readBytes('__proto__'), Uint8Array.from([1, 2, 3]));
      assert.deepEqual(st.readBytes('e'), new Uint8Array(0));
      assert.deepEqual(st.readBytes('s'), Uint8Array.from([0xff, 0x7f]));
      assertSubcloneError(() => st.readBytes('nope'), 'MissingData', 'has no tensor "nope"');
    } finally {
      st.close();
    }
    fs.writeFileSync(file, rawFile('{}'));
    const empty = openSafetensors(file);
    assert.deepEqual(empty.tensors, []);
    empty.close();
  });

  it('says a folder or a missing file is not a safetensors file', () => {
    assertSubcloneError(() => openSafetensors(dir), 'BadModel', 'is a folder, not a .safetensors file');
    assertSubcloneError(() => openSafetensors(path.join(dir, 'none.safetensors')), 'MissingData', 'cannot open');
  });
});

/**
 * Vectors from the Rust implementation's own tests (huggingface/safetensors, safetensors/src/tensor.rs): what its
 * serializer writes byte for byte, and files its reader accepts or refuses.
 */
describe('safetensors: the reference implementation\'s test vectors', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir('subclone-safetensors-'));
  });
  after(() => cleanup());

  const latin1 = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
  const f32Bytes = bytesOf(Float32Array.from([0, 1, 2, 3, 4, 5]));
  const I32_HEADER = '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}';
  const written: [string, () => void, number[]][] = [
    ['test_serialization', () => writeSafetensors(path.join(dir, 'v.safetensors'), [{ name: 'attn.0', dtype: 'F32', shape: [1, 2, 3], bytes: f32Bytes }], undefined, { overwrite: true }), [
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
      116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
      58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
      101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
      0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]],
    ['test_serialization_fp4', () => writeSafetensors(path.join(dir, 'v.safetensors'), [{ name: 'attn.0', dtype: 'F4', shape: [1, 2], bytes: new Uint8Array(1) }], undefined, { overwrite: true }), [
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
      116, 121, 112, 101, 34, 58, 34, 70, 52, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
      91, 49, 44, 50, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116,
      115, 34, 58, 91, 48, 44, 49, 93, 125, 125, 32, 32, 32, 32, 0,
    ]],
    ['test_serialization_forced_alignement', () => writeSafetensors(path.join(dir, 'v.safetensors'), [{ name: 'attn0', dtype: 'F32', shape: [1, 1, 2, 3], bytes: f32Bytes }], undefined, { overwrite: true }), [
      72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
      121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
      91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102,
      115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
      32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0,
      160, 64,
    ]],
    ['test_empty', () => writeSafetensors(path.join(dir, 'v.safetensors'), [], undefined, { overwrite: true }), [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]],
    ['test_empty with metadata', () => writeSafetensors(path.join(dir, 'v.safetensors'), [], { framework: 'pt' }, { overwrite: true }), [
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
      95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
      116, 34, 125, 125, 32, 32, 32, 32, 32,
    ]],
  ];
  for (const [name, write, bytes] of written) {
    it(`writes the bytes of ${name}, and reads them back`, () => {
      write();
      const file = path.join(dir, 'v.safetensors');
      assert.deepEqual(fs.readFileSync(file), Buffer.from(bytes));
      openSafetensors(file).close();
    });
  }

  const accepted: [string, string, [string, string, number[], number][]][] = [
    ['test_empty_shapes_allowed', '8\x00\x00\x00\x00\x00\x00\x00{"test":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}\x00\x00\x00\x00', [['test', 'I32', [], 4]]],
    ['test_deserialization', `<\x00\x00\x00\x00\x00\x00\x00${I32_HEADER}${'\x00'.repeat(16)}`, [['test', 'I32', [2, 2], 16]]],
    ['test_zero_sized_tensor', '<\x00\x00\x00\x00\x00\x00\x00{"test":{"dtype":"I32","shape":[2,0],"data_offsets":[0, 0]}}', [['test', 'I32', [2, 0], 0]]],
  ];
  for (const [name, bytes, tensors] of accepted) {
    it(`accepts ${name}`, () => {
      const file = path.join(dir, 'v.safetensors');
      fs.writeFileSync(file, latin1(bytes));
      const st = openSafetensors(file);
      st.close();
      assert.deepEqual(st.tensors.map((t) => [t.name, t.dtype, t.shape, t.end - t.begin]), tensors);
    });
  }

  const attack = `{${Array.from({ length: 10 }, (_, i) => `"weight_${i}":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}`).join(',')}}`;
  const refused: [string, string | Uint8Array, RegExp | string][] = [
    ['test_json_attack', rawFile(attack, new Uint8Array(16)), /tensor "weight_\d" \(data_offsets \[0, 16\]\) overlaps tensor "weight_\d"/],
    ['test_metadata_incomplete_buffer (extra bytes)', `<\x00\x00\x00\x00\x00\x00\x00${I32_HEADER}${'\x00'.repeat(16)}extra_bogus_data_for_polyglot_file`, 'belong to no tensor'],
    ['test_metadata_incomplete_buffer (missing bytes)', `<\x00\x00\x00\x00\x00\x00\x00${I32_HEADER}${'\x00'.repeat(14)}`, 'is truncated'],
    ['test_header_too_large', `<\x00\x00\x00\x00\xff\xff\xff${I32_HEADER}${'\x00'.repeat(16)}`, 'more than the 100000000'],
    ['test_header_too_small', '', 'too short for a safetensors file'],
    ['test_invalid_header_length', '<\x00\x00\x00\x00\x00\x00\x00', 'the header size is 60 bytes, but the file has only 0'],
    ['test_invalid_header_non_utf8', '\x01\x00\x00\x00\x00\x00\x00\x00\xff', 'not UTF-8'],
    ['test_invalid_header_not_json', '\x01\x00\x00\x00\x00\x00\x00\x00{', "does not end with '}'"],
    ['test_invalid_info', '<\x00\x00\x00\x00\x00\x00\x00{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0, 4]}}', 'holds 4 bytes, but I32 [2, 2] needs 16'],
    ['test_validation_overflow (shape)', `O\x00\x00\x00\x00\x00\x00\x00{"test":{"dtype":"I32","shape":[2,18446744073709551614],"data_offsets":[0,16]}}${'\x00'.repeat(16)}`, 'not a whole number'],
    ['test_validation_overflow (elements)', `N\x00\x00\x00\x00\x00\x00\x00{"test":{"dtype":"I32","shape":[2,9223372036854775807],"data_offsets":[0,16]}}${'\x00'.repeat(16)}`, 'not a whole number'],
    // The reference now reads headers padded with any JSON whitespace, before '{' too; the format says it starts with '{' and may end in spaces.
    ['test_whitespace_padded_header (stricter: only spaces may pad)', '\x06\x00\x00\x00\x00\x00\x00\x00{}\x0D\x20\x09\x0A', "does not end with '}'"],
    ['test_whitespace_leading_padded_header (stricter: the header starts with {)', '\x06\x00\x00\x00\x00\x00\x00\x00\x09\x0A{}\x0D\x20', "does not start with '{'"],
  ];
  for (const [name, bytes, fragment] of refused) {
    it(`refuses ${name}`, () => {
      const file = path.join(dir, 'v.safetensors');
      fs.writeFileSync(file, typeof bytes === 'string' ? latin1(bytes) : bytes);
      assertSubcloneError(() => openSafetensors(file), 'BadModel', fragment);
    });
  }
});

describe('safetensors: dtypes', () => {
  it('maps the ten common dtypes to ONNX data types and back', () => {
    const pairs: [SafetensorsDtype, number][] = [
      ['F32', DataType.FLOAT], ['F16', DataType.FLOAT16], ['BF16', DataType.BFLOAT16], ['F64', DataType.DOUBLE], ['I64', DataType.INT64],
      ['I32', DataType.INT32], ['I16', DataType.INT16], ['I8', DataType.INT8], ['U8', DataType.UINT8], ['BOOL', DataType.BOOL],
    ];
    for (const [dtype, onnx] of pairs) {
      assert.equal(toOnnxDataType(dtype), onnx, dtype);
      assert.equal(fromOnnxDataType(onnx), dtype, dtype);
    }
    assertSubcloneError(() => toOnnxDataType('F8_E8M0'), 'Unsupported', 'F8_E8M0');
    assertSubcloneError(() => fromOnnxDataType(DataType.STRING), 'Unsupported', 'string');
  });

  it('sizes tensors in bits, so sub-byte dtypes fill whole bytes only in pairs', () => {
    assert.equal(tensorByteLength('F32', [5, 6]), 120);
    assert.equal(tensorByteLength('F64', []), 8);
    assert.equal(tensorByteLength('BF16', [0, 7]), 0);
    assert.equal(tensorByteLength('F4', [4]), 2);
    assert.equal(tensorByteLength('F4', [3]), undefined);
    assert.equal(tensorByteLength('U8', [2 ** 33, 3]), 3 * 2 ** 33);
  });
});

describe('safetensors: writing and streaming', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir('subclone-safetensors-'));
  });
  afterEach(() => cleanup());

  const rng = new Rng(11, 'streaming');
  const values = Float32Array.from({ length: 250_001 }, () => rng.next());
  const valueBytes = bytesOf(values);

  it('writes a tensor given as chunks exactly as one given as bytes, and reads it back in chunks', () => {
    const asBytes = path.join(dir, 'bytes.safetensors');
    const asChunks = path.join(dir, 'chunks.safetensors');
    const small = tensor('b', 'I32', [2], Int32Array.from([5, -5]));
    writeSafetensors(asBytes, [{ name: 'w', dtype: 'F32', shape: [250_001], bytes: valueBytes }, small]);
    const pieces = [0, 3, 999_999, valueBytes.length];
    writeSafetensors(asChunks, [{ name: 'w', dtype: 'F32', shape: [250_001], byteLength: valueBytes.length, chunks: () => pieces.slice(1).map((c, i) => valueBytes.subarray(pieces[i], c)) }, small]);
    assert.deepEqual(fs.readFileSync(asChunks), fs.readFileSync(asBytes));

    const st = openSafetensors(asChunks);
    try {
      const chunks = [...st.chunks('w', 65_536)];
      assert.equal(chunks.length, Math.ceil(valueBytes.length / 65_536));
      assert.ok(chunks.every((c) => c.length <= 65_536));
      assert.deepEqual(concat(chunks), valueBytes);
      assert.deepEqual(new Float32Array(st.readBytes('w').buffer), values);
      assert.deepEqual(st.readSlice('w', 4 * 250_000, 4), bytesOf(values.subarray(250_000)));
      assert.throws(() => st.readSlice('w', valueBytes.length - 2, 4), RangeError);
    } finally {
      st.close();
    }
  });

  it('streams a tensor from one open file into another', () => {
    const source = path.join(dir, 'source.safetensors');
    writeSafetensors(source, [{ name: 'w', dtype: 'F32', shape: [250_001], bytes: valueBytes }]);
    const src = openSafetensors(source);
    const copy = path.join(dir, 'copy.safetensors');
    try {
      const e = src.entry('w');
      writeSafetensors(copy, [{ name: 'renamed', dtype: e.dtype, shape: e.shape, byteLength: e.end - e.begin, chunks: () => src.chunks('w', 10_000) }]);
    } finally {
      src.close();
    }
    const st = openSafetensors(copy);
    assert.deepEqual(st.readBytes('renamed'), valueBytes);
    st.close();
  });

  for (const [what, given] of [['fewer', valueBytes.subarray(0, 1000)], ['more', concat([valueBytes, new Uint8Array(4)])]] as const) {
    it(`refuses chunks that give ${what} bytes than declared and leaves no file`, () => {
      const file = path.join(dir, 'out.safetensors');
      assertSubcloneError(
        () => writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [250_001], byteLength: valueBytes.length, chunks: () => [given] }]),
        'BadArgument',
        `tensor "w" declared ${valueBytes.length} bytes, but its chunks gave ${what === 'fewer' ? 'only 1000' : 'more'}`,
      );
      assert.deepEqual(fs.readdirSync(dir), []);
    });
  }

  it('checks the tensors before it writes anything', () => {
    const file = path.join(dir, 'out.safetensors');
    const ok = tensor('a', 'U8', [2], Uint8Array.from([1, 2]));
    assertSubcloneError(() => writeSafetensors(file, [tensor('w', 'F32', [5, 6], new Uint8Array(100))]), 'ShapeMismatch', 'tensor "w" has 100 bytes, but F32 [5, 6] needs 120');
    assertSubcloneError(() => writeSafetensors(file, [ok, { ...ok }]), 'BadArgument', 'two tensors are named "a"');
    assertSubcloneError(() => writeSafetensors(file, [{ ...ok, name: '__metadata__' }]), 'BadArgument', 'may not be named "__metadata__"');
    assertSubcloneError(() => writeSafetensors(file, [{ ...ok, dtype: 'F8' as SafetensorsDtype }]), 'BadArgument', 'unknown dtype "F8"');
    assertSubcloneError(() => writeSafetensors(file, [{ ...ok, shape: [-2] }]), 'BadArgument', 'holds -2, not a whole number');
    assertSubcloneError(() => writeSafetensors(file, [{ ...ok, name: 'x\ud800' }]), 'BadArgument', 'lone surrogate');
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('refuses to replace a file unless allowed, and replaces it atomically when allowed', () => {
    const file = path.join(dir, 'out.safetensors');
    writeSafetensors(file, [tensor('a', 'U8', [1], Uint8Array.from([1]))]);
    assertSubcloneError(() => writeSafetensors(file, [tensor('a', 'U8', [1], Uint8Array.from([2]))]), 'Exists', 'already exists');
    writeSafetensors(file, [tensor('a', 'U8', [1], Uint8Array.from([2]))], undefined, { overwrite: true });
    const st = openSafetensors(file);
    assert.deepEqual(st.readBytes('a'), Uint8Array.from([2]));
    st.close();
    assert.deepEqual(fs.readdirSync(dir), ['out.safetensors']);
  });
});

describe('safetensors: sharded checkpoints', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir('subclone-safetensors-'));
  });
  afterEach(() => cleanup());

  const u8 = (name: string, n: number, fill: number) => tensor(name, 'U8', [n], new Uint8Array(n).fill(fill));
  // With a 100-byte limit: c (200 bytes) gets a shard of its own when met; a + b fill one, d + e the next.
  const shardedSet = () => [u8('a', 40, 1), u8('b', 40, 2), u8('c', 200, 3), u8('d', 40, 4), tensor('e', 'F32', [10], Float32Array.from({ length: 10 }, (_, i) => i))];
  const SHARDS = ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors'];

  function writeSharded(): void {
    writeShardedSafetensors(dir, shardedSet(), { maxShardBytes: 100, metadata: { format: 'pt' } });
  }

  function editIndex(edit: (index: { weight_map: Record<string, string> }) => void): void {
    const file = path.join(dir, 'model.safetensors.index.json');
    const index = JSON.parse(fs.readFileSync(file, 'utf8')) as { weight_map: Record<string, string> };
    edit(index);
    fs.writeFileSync(file, JSON.stringify(index));
  }

  it('splits tensors over shards as huggingface_hub does and writes the index as transformers does', () => {
    const result = writeShardedSafetensors(dir, shardedSet(), { maxShardBytes: 100, metadata: { format: 'pt' } });
    assert.deepEqual(fs.readdirSync(dir).sort(), [...SHARDS, 'model.safetensors.index.json']);
    assert.deepEqual(result.files, SHARDS.map((f) => path.join(dir, f)));
    assert.equal(result.totalBytes, 360);
    const shardTensors = SHARDS.map((f) => {
      const st = openSafetensors(path.join(dir, f));
      st.close();
      assert.deepEqual(st.metadata, { format: 'pt' }, f);
      return st.tensors.map((t) => t.name);
    });
    assert.deepEqual(shardTensors, [['c'], ['a', 'b'], ['e', 'd']]);
    assert.equal(
      fs.readFileSync(path.join(dir, 'model.safetensors.index.json'), 'utf8'),
      `{\n  "metadata": {\n    "total_size": 360\n  },\n  "weight_map": {\n    "a": "${SHARDS[1]}",\n    "b": "${SHARDS[1]}",\n    "c": "${SHARDS[0]}",\n    "d": "${SHARDS[2]}",\n    "e": "${SHARDS[2]}"\n  }\n}\n`,
    );
  });

  it('reads every tensor back through the folder or the index', () => {
    writeSharded();
    for (const source of [dir, path.join(dir, 'model.safetensors.index.json')]) {
      const weights = openCheckpointWeights(source);
      try {
        assert.equal(weights.indexFile, path.join(dir, 'model.safetensors.index.json'));
        assert.deepEqual(weights.indexMetadata, { total_size: 360 });
        assert.deepEqual([...weights.names].sort(), ['a', 'b', 'c', 'd', 'e']);
        assert.equal(weights.totalBytes, 360);
        for (const t of shardedSet()) {
          assert.deepEqual(weights.readBytes(t.name), t.bytes, t.name);
          assert.deepEqual(concat([...weights.chunks(t.name, 7)]), t.bytes, t.name);
          assert.deepEqual(weights.get(t.name).entry.shape, t.shape, t.name);
        }
        assert.equal(path.basename(weights.get('c').shard.file), SHARDS[0]);
        assertSubcloneError(() => weights.get('f'), 'MissingData', 'has no tensor "f"');
      } finally {
        weights.close();
      }
    }
  });

  it('writes one model.safetensors when everything fits, and opens it through the folder', () => {
    const result = writeShardedSafetensors(dir, shardedSet(), { metadata: { format: 'pt' } });
    assert.deepEqual(fs.readdirSync(dir), ['model.safetensors']);
    assert.equal(result.indexFile, undefined);
    const weights = openCheckpointWeights(dir);
    try {
      assert.equal(weights.indexFile, undefined);
      assert.equal(weights.shards.length, 1);
      assert.deepEqual(weights.readBytes('c'), new Uint8Array(200).fill(3));
    } finally {
      weights.close();
    }
  });

  it('names a missing shard', () => {
    writeSharded();
    fs.rmSync(path.join(dir, SHARDS[1]));
    assertSubcloneError(() => openCheckpointWeights(dir), 'MissingData', `lists the shard "${SHARDS[1]}", which is missing`);
  });

  it('names a tensor the index puts in the wrong shard', () => {
    writeSharded();
    editIndex((index) => (index.weight_map.a = SHARDS[2]));
    assertSubcloneError(() => openCheckpointWeights(dir), 'BadModel', `the weight_map puts tensor "a" in "${SHARDS[2]}", which does not hold it; it is in "${SHARDS[1]}"`);
  });

  it('names a tensor that is in two shards, and one the index does not list', () => {
    writeSharded();
    writeSafetensors(path.join(dir, SHARDS[2]), [u8('d', 40, 4), u8('a', 40, 1)], undefined, { overwrite: true });
    assertSubcloneError(() => openCheckpointWeights(dir), 'BadModel', `tensor "a" is in two shards, "${SHARDS[1]}" and "${SHARDS[2]}"`);
  });

  it('names a tensor in a shard that the index does not list, and a shard path that leaves the folder', () => {
    writeSharded();
    editIndex((index) => delete index.weight_map.d);
    assertSubcloneError(() => openCheckpointWeights(dir), 'BadModel', `the shard "${SHARDS[2]}" holds tensor "d", which the weight_map does not list`);
    editIndex((index) => (index.weight_map.d = '../model-00003-of-00003.safetensors'));
    assertSubcloneError(() => openCheckpointWeights(dir), 'BadModel', 'the shard "../model-00003-of-00003.safetensors" is not a .safetensors file inside');
  });

  it('says what a folder without a checkpoint holds', () => {
    fs.writeFileSync(path.join(dir, 'adapter_model.safetensors'), rawFile('{}'));
    assertSubcloneError(() => openCheckpointWeights(dir), 'MissingData', 'holds neither model.safetensors nor model.safetensors.index.json; it holds adapter_model.safetensors');
  });

  it('leaves nothing behind when a shard fails to write, and keeps the checkpoint it would have replaced', () => {
    const failing = (): SafetensorsTensor[] => [
      ...shardedSet(),
      {
        name: 'f', dtype: 'U8', shape: [50], byteLength: 50,
        *chunks() {
          yield new Uint8Array(10);
          throw new Error('the source went away');
        },
      },
    ];
    assert.throws(() => writeShardedSafetensors(dir, failing(), { maxShardBytes: 100 }), /the source went away/);
    assert.deepEqual(fs.readdirSync(dir), []);

    writeShardedSafetensors(dir, shardedSet(), {});
    const before = fs.readFileSync(path.join(dir, 'model.safetensors'));
    assert.throws(() => writeShardedSafetensors(dir, failing(), { maxShardBytes: 100, overwrite: true }), /the source went away/);
    assert.deepEqual(fs.readdirSync(dir), ['model.safetensors']);
    assert.deepEqual(fs.readFileSync(path.join(dir, 'model.safetensors')), before);
  });

  it('refuses to write over an earlier checkpoint unless allowed, and then removes its other shards', () => {
    writeSharded();
    assertSubcloneError(() => writeShardedSafetensors(dir, shardedSet()), 'Exists', 'already holds a checkpoint');
    writeShardedSafetensors(dir, shardedSet(), { overwrite: true });
    assert.deepEqual(fs.readdirSync(dir), ['model.safetensors']);
    const weights = openCheckpointWeights(dir);
    assert.deepEqual([...weights.names].sort(), ['a', 'b', 'c', 'd', 'e']);
    weights.close();
  });
});

describe('safetensors: offsets beyond 4 GiB', () => {
  it('reads the last bytes of a sparse 4 GiB file by range', () => {
    const { dir, cleanup } = tempDir('subclone-safetensors-');
    try {
      const big = 2 ** 32 + 8;
      const file = path.join(dir, 'huge.safetensors');
      const head = rawFile({ big: { dtype: 'U8', shape: [big], data_offsets: [0, big] }, tail: { dtype: 'U8', shape: [16], data_offsets: [big, big + 16] } });
      // Sparse: the file costs no disk; a reader that loads it whole fails (a Buffer holds at most 4 GiB).
      fs.writeFileSync(file, head);
      fs.truncateSync(file, head.length + big + 16);
      const tail = Uint8Array.from({ length: 16 }, (_, i) => 200 + i);
      const fd = fs.openSync(file, 'r+');
      fs.writeSync(fd, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 0, 8, head.length + big - 8);
      fs.writeSync(fd, tail, 0, 16, head.length + big);
      fs.closeSync(fd);

      const st = openSafetensors(file);
      try {
        const entry = st.entry('tail');
        assert.equal(entry.begin, head.length + big);
        assert.ok(entry.begin > 2 ** 32);
        assert.deepEqual(st.readBytes('tail'), tail);
        assert.deepEqual(concat([...st.chunks('tail', 5)]), tail);
        assert.deepEqual(st.readSlice('big', big - 10, 10), Uint8Array.from([0, 0, 1, 2, 3, 4, 5, 6, 7, 8]));
      } finally {
        st.close();
      }
    } finally {
      cleanup();
    }
  });
});
