import * as fs from 'node:fs';

export interface NpyArray {
  dtype: string;
  shape: number[];
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array | Float64Array;
}

/** Reads a little-endian, C-order .npy file (versions 1-3). */
export function readNpy(file: string): NpyArray {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file} is not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '';
  if (!descr || fortran) throw new Error(`${file}: unsupported npy header ${header}`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const body = buf.subarray(start + headerLen);
  const copy = new Uint8Array(body.length);
  copy.set(body);
  const ab = copy.buffer;
  switch (descr) {
    case '<f4': return { dtype: 'float32', shape, data: new Float32Array(ab) };
    case '<f8': return { dtype: 'float64', shape, data: new Float64Array(ab) };
    case '<i8': return { dtype: 'int64', shape, data: new BigInt64Array(ab) };
    case '<i4': return { dtype: 'int32', shape, data: new Int32Array(ab) };
    case '|b1': case '|u1': return { dtype: descr === '|b1' ? 'bool' : 'uint8', shape, data: new Uint8Array(ab) };
    default: throw new Error(`${file}: unsupported dtype ${descr}`);
  }
}
