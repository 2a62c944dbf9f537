import * as fs from 'node:fs';
import * as path from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { SubcloneError, throwIfAborted } from '../errors';
import { BufferedFileWriter, assertWritable, writeFilesAtomically } from '../fs/atomicFile';
import { isExternal } from './externalData';
import { formatBytes } from './fileBytes';
import type { OnnxModel } from './onnxModel';
import {
  DataLocation,
  GraphProtoSchema,
  ModelProtoSchema,
  StringStringEntryProtoSchema,
  TensorProtoSchema,
  UNSET,
  type TensorProto,
} from './proto';

const GiB = 1024 ** 3;

export interface WriteOptions {
  /** true: weights in a separate data file; false: one file; 'auto' (default): external above `externalThreshold`. */
  externalData?: boolean | 'auto';
  /** Total weight bytes above which 'auto' switches to external data (default 1.5 GiB; ORT refuses files over 2 GiB). */
  externalThreshold?: number;
  /** Name of the data file, beside the model (default `<model file>.data`). */
  externalDataName?: string;
  /** Tensors smaller than this stay inline even with external data (default 1024 bytes, as onnx does). */
  minExternalBytes?: number;
  /** Replace an existing file (default false). */
  overwrite?: boolean;
  signal?: AbortSignal;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

export interface WriteResult {
  file: string;
  bytes: number;
  externalDataFile?: string;
  externalBytes?: number;
}

/** A tensor's payload, streamed by the writer rather than encoded by protobuf. */
interface Payload {
  tensor: TensorProto;
  length: number;
  external: boolean;
}

/**
 * Writes a model with a streaming encoder: the graph structure is encoded by protobuf with the weight bytes left
 * out, and the weights are written straight from their source (file buffer or external data) to disk. Protobuf
 * allows a message's fields in any order, so initializers and the graph are appended after the encoded parts.
 * The write is atomic: temporary files, then rename.
 */
export function writeModel(model: OnnxModel, file: string, options: WriteOptions = {}): WriteResult {
  const target = path.resolve(file);
  assertWritable(target, options.overwrite ?? false);
  const graph = model.graph;
  const payloadBytes = graph.initializer.reduce((n, t) => n + streamedLength(model, t), 0);
  const wantExternal =
    options.externalData === true ||
    ((options.externalData ?? 'auto') === 'auto' && payloadBytes > (options.externalThreshold ?? 1.5 * GiB));
  if (!wantExternal && payloadBytes > 2 * GiB - 64 * 1024 * 1024) {
    throw new SubcloneError('BadArgument', `the model's weights are ${formatBytes(payloadBytes)}: a single ONNX file cannot exceed 2 GiB; write it with external data`);
  }
  const dataName = options.externalDataName ?? `${path.basename(target)}.data`;
  const dataTarget = path.join(path.dirname(target), dataName);
  if (wantExternal) assertWritable(dataTarget, options.overwrite ?? false);
  const minExternal = options.minExternalBytes ?? 1024;

  const targets = wantExternal ? [dataTarget, target] : [target];
  return writeFilesAtomically(targets, (temps) => {
    const modelTemp = temps[temps.length - 1];
    let externalBytes = 0;
    const payloads: Payload[] = [];
    const heads: Uint8Array[] = [];
    let done = 0;
    const progress = (n: number) => {
      done += n;
      options.onProgress?.(done, payloadBytes);
    };

    let dataWriter: BufferedFileWriter | undefined;
    let dataFd: number | undefined;
    try {
      if (wantExternal) {
        dataFd = fs.openSync(temps[0], 'w');
        dataWriter = new BufferedFileWriter(dataFd);
      }
      for (const t of graph.initializer) {
        throwIfAborted(options.signal);
        const length = streamedLength(model, t);
        const external = !!dataWriter && length >= minExternal;
        let head: TensorProto;
        if (external) {
          if (length >= 1024 * 1024) dataWriter!.pad(4096);
          const offset = dataWriter!.position;
          for (const chunk of model.tensorChunks(t)) {
            throwIfAborted(options.signal);
            dataWriter!.write(chunk);
            progress(chunk.length);
          }
          externalBytes += length;
          head = {
            ...t,
            rawData: UNSET, // the payload is elsewhere
            dataLocation: DataLocation.EXTERNAL,
            externalData: [entry('location', dataName), entry('offset', String(offset)), entry('length', String(length))],
          };
        } else if (isExternal(t)) {
          head = { ...t, rawData: UNSET, dataLocation: UNSET, externalData: [] };
        } else {
          head = { ...t, rawData: UNSET };
        }
        heads.push(toBinary(TensorProtoSchema, head));
        payloads.push({ tensor: t, length: external ? 0 : length, external });
      }
      dataWriter?.flush();
      if (dataFd !== undefined) fs.fsyncSync(dataFd);
    } finally {
      if (dataFd !== undefined) fs.closeSync(dataFd);
    }

    const graphHead = toBinary(GraphProtoSchema, { ...graph, initializer: [] });
    const tensorLengths = heads.map((h, i) => h.length + fieldLength(9, payloads[i].length, payloads[i].length > 0));
    const graphLength = graphHead.length + tensorLengths.reduce((n, len) => n + fieldLength(5, len, true), 0);
    const modelHead = toBinary(ModelProtoSchema, { ...model.proto, graph: undefined });

    const fd = fs.openSync(modelTemp, 'w');
    let bytes = 0;
    try {
      const w = new BufferedFileWriter(fd);
      w.write(modelHead);
      w.write(tag(7, graphLength));
      w.write(graphHead);
      heads.forEach((head, i) => {
        throwIfAborted(options.signal);
        w.write(tag(5, tensorLengths[i]));
        w.write(head);
        const p = payloads[i];
        if (p.length > 0) {
          w.write(tag(9, p.length));
          for (const chunk of model.tensorChunks(p.tensor)) {
            w.write(chunk);
            progress(chunk.length);
          }
        }
      });
      w.flush();
      fs.fsyncSync(fd);
      bytes = w.position;
    } finally {
      fs.closeSync(fd);
    }
    return wantExternal
      ? { file: target, bytes, externalDataFile: dataTarget, externalBytes }
      : { file: target, bytes };
  });
}

/** Payload bytes the writer streams for a tensor (raw or external data); typed fields are left to protobuf. */
function streamedLength(model: OnnxModel, t: TensorProto): number {
  return isExternal(t) || t.rawData.length ? model.tensorByteLength(t) : 0;
}

function entry(key: string, value: string) {
  return create(StringStringEntryProtoSchema, { key, value });
}

/** Bytes taken by a length-delimited field with a payload of `length` bytes. */
function fieldLength(field: number, length: number, present: boolean): number {
  return present ? tag(field, length).length + length : 0;
}

/** The tag and length prefix of a length-delimited field. */
function tag(field: number, length: number): Uint8Array {
  return Uint8Array.from([...varint(field * 8 + 2), ...varint(length)]);
}

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}
