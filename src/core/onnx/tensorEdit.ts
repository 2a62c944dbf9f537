import { create } from '@bufbuild/protobuf';
import { TensorProtoSchema, UNSET, type TensorProto } from './proto';

/**
 * A copy of a tensor whose content is `bytes` (raw little-endian data, stored inline), optionally with new dims
 * or a new name. Every other way of holding data (external file, typed fields) is cleared. A view of a whole
 * buffer is taken over as it is (the caller hands it over); a partial view is copied.
 */
export function tensorWithBytes(t: TensorProto, bytes: Uint8Array, changes: { dims?: readonly number[]; name?: string } = {}): TensorProto {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  const raw = whole ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
  return create(TensorProtoSchema, {
    ...t,
    ...(changes.name !== undefined ? { name: changes.name } : {}),
    ...(changes.dims ? { dims: changes.dims.map(BigInt) } : {}),
    rawData: raw,
    dataLocation: UNSET,
    externalData: [],
    floatData: [],
    int32Data: [],
    int64Data: [],
    doubleData: [],
    uint64Data: [],
  });
}
