import { SubcloneError } from '../errors';
import { bufferSource, type ByteSource } from './byteSource';
import { formatBytes } from './fileBytes';

/** Names a well-known non-ONNX file format from its first bytes, or returns undefined. */
export function foreignFormat(head: Uint8Array): string | undefined {
  const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  if (head.length >= 4 && ascii(0, 4) === 'PK\x03\x04') return 'a zip archive (a PyTorch .pt/.bin checkpoint?)';
  if (head.length >= 2 && head[0] === 0x80 && head[1] >= 2 && head[1] <= 5) return 'a Python pickle (a PyTorch checkpoint?)';
  if (head.length >= 4 && ascii(0, 4) === 'GGUF') return 'a GGUF file';
  if (head.length >= 4 && ascii(1, 4) === 'HDF') return 'an HDF5 file (a Keras .h5 model?)';
  if (head.length >= 8 && ascii(4, 8) === 'TFL3') return 'a TensorFlow Lite model';
  if (head.length >= 8 && ascii(4, 8) === 'ORTM') return 'an ORT-format model (convert it back to .onnx)';
  if (head.length >= 9 && head[8] === 0x7b && head[6] === 0 && head[7] === 0) return 'a safetensors file';
  if (head.length > 0 && isMostlyText(head)) return 'a text file';
  return undefined;
}

function isMostlyText(head: Uint8Array): boolean {
  const n = Math.min(head.length, 512);
  let printable = 0;
  for (let i = 0; i < n; i++) {
    const c = head[i];
    if ((c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d || c === 0x09) printable++;
  }
  return printable / n > 0.97;
}

const MODEL_FIELDS: Record<number, [string, number]> = {
  1: ['ir_version', 0],
  2: ['producer_name', 2],
  3: ['producer_version', 2],
  4: ['domain', 2],
  5: ['model_version', 0],
  6: ['doc_string', 2],
  7: ['graph', 2],
  8: ['opset_import', 2],
  14: ['metadata_props', 2],
  20: ['training_info', 2],
  25: ['functions', 2],
  26: ['configuration', 2],
};

/**
 * Walks the top level of a ModelProto without decoding it, so a truncated or foreign file is named precisely
 * before the full decode runs. Throws BadModel naming the file, the field and the byte offset.
 */
export function checkModelEnvelope(model: Uint8Array | ByteSource, file: string): void {
  const bytes = model instanceof Uint8Array ? bufferSource(model) : model;
  const foreign = foreignFormat(bytes.copy(0, Math.min(512, bytes.length)));
  if (bytes.length === 0) throw new SubcloneError('BadModel', `${file} is empty, not an ONNX model`);
  let pos = 0;
  let sawGraph = false;
  let sawIr = false;
  const notOnnx = (why: string): never => {
    throw new SubcloneError(
      'BadModel',
      foreign ? `${file} is ${foreign}, not an ONNX model` : `${file} is not an ONNX model (${why})`,
    );
  };
  while (pos < bytes.length) {
    const tagStart = pos;
    const [tag, afterTag] = readVarint(bytes, pos);
    if (afterTag < 0) notOnnx(`unreadable field tag at byte ${tagStart}`);
    pos = afterTag;
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    const known = MODEL_FIELDS[field];
    if (field === 0 || wire > 5 || wire === 3 || wire === 4) notOnnx(`invalid protobuf tag ${tag} at byte ${tagStart}`);
    if (known && known[1] !== wire) notOnnx(`field ${known[0]} has wire type ${wire} at byte ${tagStart}`);
    const name = known ? known[0] : `field ${field}`;
    if (wire === 0) {
      const [, next] = readVarint(bytes, pos);
      if (next < 0) truncated(file, bytes.length, name, tagStart);
      pos = next;
      if (field === 1) sawIr = true;
    } else if (wire === 2) {
      const [len, next] = readVarint(bytes, pos);
      if (next < 0) truncated(file, bytes.length, name, tagStart);
      if (next + len > bytes.length) {
        if (!known && !sawIr) notOnnx(`field ${field} at byte ${tagStart} runs past the end`);
        throw new SubcloneError(
          'BadModel',
          `${file} is truncated: ${name} at byte ${tagStart} needs ${formatBytes(len)} but the file ends ` +
            `${formatBytes(bytes.length - next)} later (file is ${bytes.length} bytes)`,
        );
      }
      pos = next + len;
      if (field === 7) sawGraph = true;
    } else {
      const width = wire === 1 ? 8 : 4;
      if (pos + width > bytes.length) truncated(file, bytes.length, name, tagStart);
      pos += width;
    }
  }
  if (!sawGraph) notOnnx(sawIr ? 'it has no graph' : 'no ONNX model fields found');
}

function truncated(file: string, size: number, name: string, at: number): never {
  throw new SubcloneError('BadModel', `${file} is truncated: ${name} at byte ${at} is cut off (file is ${size} bytes)`);
}

/** Returns [value, nextPosition]; nextPosition is -1 when the varint is cut off or malformed. */
function readVarint(bytes: ByteSource, pos: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= bytes.length) return [0, -1];
    const b = bytes.at(pos++);
    value += (b & 0x7f) * scale;
    if (!(b & 0x80)) return [value, pos];
    scale *= 128;
  }
  return [0, -1];
}
