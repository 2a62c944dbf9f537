import * as fs from 'node:fs';
import * as path from 'node:path';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { SubcloneError, errorMessage, isSubcloneError } from '../errors';
import { quote } from '../quote';
import { DataType, isFloatType } from './dataType';
import { ExternalFiles, externalRef, isExternal } from './externalData';
import { FileWindow } from './byteSource';
import { openModelFile } from './fileBytes';
import { decodeModelFile } from './modelFile';
import { ModelProtoSchema, type GraphProto, type ModelProto, type TensorProto } from './proto';
import { checkModelEnvelope } from './sniff';
import { tensorWithBytes } from './tensorEdit';
import { checkWireFormat } from './wireCheck';
import { bytesToFloat32, bytesToNumbers, checkByteLength, tensorDims, typedFieldBytes } from './tensorValues';

export interface LoadOptions {
  /** Check that every external data file exists and is long enough (default true). */
  checkExternalData?: boolean;
}

/**
 * A decoded ONNX model and the place its weights come from. Weights are not held in memory: a model read from a
 * file keeps its large raw_data payloads in the file (as external data located in the model file itself, see
 * decodeModelFile), external data is read by range on demand, and a model decoded from bytes in memory views them.
 */
export class OnnxModel {
  private readonly external: ExternalFiles;

  private constructor(
    readonly proto: ModelProto,
    /** The file it was read from, if any. */
    readonly file: string | undefined,
    /** The folder external data paths are relative to. */
    readonly baseDir: string,
  ) {
    this.external = new ExternalFiles(baseDir);
  }

  /**
   * Reads and decodes a model file, leaving its weights in the file (the file stays open until close()); throws
   * BadModel/MissingData with a message naming the file and the problem.
   */
  static load(file: string, options: LoadOptions = {}): OnnxModel {
    const abs = path.resolve(file);
    const { fd, size } = openModelFile(abs);
    let model: OnnxModel;
    try {
      const source = new FileWindow(fd, size, abs);
      checkModelEnvelope(source, abs);
      model = new OnnxModel(decodeModelFile(source, abs), abs, path.dirname(abs));
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
    // The open handle keeps reading the file that was decoded, even if the path is replaced later.
    model.external.adopt(abs, fd, size);
    try {
      if (options.checkExternalData ?? true) model.checkTensors();
    } catch (e) {
      model.close();
      throw e;
    }
    return model;
  }

  /** Decodes model bytes held in memory; external data paths resolve against `baseDir`. */
  static fromBytes(bytes: Uint8Array, baseDir: string, options: LoadOptions = {}): OnnxModel {
    return OnnxModel.decode(bytes, undefined, path.resolve(baseDir), options);
  }

  /** Wraps an already decoded proto (e.g. an edited copy) that shares this model's external data folder. */
  static fromProto(proto: ModelProto, baseDir: string, file?: string): OnnxModel {
    return new OnnxModel(proto, file, baseDir);
  }

  private static decode(bytes: Uint8Array, file: string | undefined, baseDir: string, options: LoadOptions): OnnxModel {
    const label = file ?? 'model bytes';
    checkModelEnvelope(bytes, label);
    // Before decoding: the decoder reads a nested message's overrunning last field into its parent without a word.
    checkWireFormat(bytes, label);
    let proto: ModelProto;
    try {
      proto = fromBinary(ModelProtoSchema, bytes);
    } catch (e) {
      throw new SubcloneError('BadModel', `${label} is corrupt: the ONNX protobuf could not be decoded (${errorMessage(e)})`, { cause: e });
    }
    if (!proto.graph) throw new SubcloneError('BadModel', `${label} has no graph`);
    const model = new OnnxModel(proto, file, baseDir);
    if (options.checkExternalData ?? true) model.checkTensors();
    return model;
  }

  get graph(): GraphProto {
    return this.proto.graph!;
  }

  /** The opset version imported for a domain ('' is the default ONNX domain), or undefined. */
  opset(domain = ''): number | undefined {
    const d = domain === 'ai.onnx' ? '' : domain;
    const entry = this.proto.opsetImport.find((o) => (o.domain === 'ai.onnx' ? '' : o.domain) === d);
    return entry ? Number(entry.version) : undefined;
  }

  /** True when any initializer keeps its bytes in a file other than the model file (what the user calls external data). */
  get hasExternalData(): boolean {
    return this.graph.initializer.some((t) => isExternal(t) && !this.inModelFile(t));
  }

  private inModelFile(t: TensorProto): boolean {
    return this.file !== undefined && externalRef(t, this.baseDir).file === this.file;
  }

  /**
   * Validates every initializer's dims, data type, byte length and external data reference; throws naming the
   * model's file and the first bad tensor.
   */
  checkTensors(): void {
    for (const t of this.graph.initializer) {
      try {
        this.checkTensor(t);
      } catch (e) {
        // The checks name the tensor; only the model knows its file.
        if (isSubcloneError(e) && this.file) throw new SubcloneError(e.code, `${this.file}: ${e.message}`, { cause: e });
        throw e;
      }
    }
  }

  private checkTensor(t: TensorProto): void {
    if (t.dims.some((d) => d < 0n)) {
      throw new SubcloneError('BadModel', `initializer ${quote(t.name)} has negative dims [${tensorDims(t).join(', ')}]`);
    }
    if (t.dataType === DataType.UNDEFINED) throw new SubcloneError('BadModel', `initializer ${quote(t.name)} has no data type`);
    if (t.dataType === DataType.STRING) {
      if (isExternal(t)) this.external.check(t);
    } else if (isExternal(t)) {
      const ref = externalRef(t, this.baseDir);
      checkByteLength(t, this.external.check(t), `its external data (${quote(ref.location)} from byte ${ref.offset})`);
    } else {
      checkByteLength(t, (t.rawData.length ? t.rawData : typedFieldBytes(t) ?? new Uint8Array(0)).length);
    }
  }

  /** A tensor's little-endian bytes: a view of raw_data, a range read of external data, or encoded typed fields. */
  tensorBytes(t: TensorProto): Uint8Array {
    if (isExternal(t)) return this.external.read(t);
    if (t.rawData.length) return t.rawData;
    return typedFieldBytes(t) ?? new Uint8Array(0);
  }

  /** Streams a tensor's bytes without loading an external tensor whole. */
  *tensorChunks(t: TensorProto): Generator<Uint8Array> {
    if (isExternal(t)) yield* this.external.chunks(t);
    else yield this.tensorBytes(t);
  }

  /** Byte length of a tensor's payload without reading it. */
  tensorByteLength(t: TensorProto): number {
    if (isExternal(t)) return this.external.check(t);
    return this.tensorBytes(t).length;
  }

  /** Float values; float16/bfloat16/float64 are converted, float32 is a zero-copy view where aligned. */
  float32(t: TensorProto): Float32Array {
    if (!isFloatType(t.dataType)) {
      throw new SubcloneError('Unsupported', `initializer ${quote(t.name)} is not a float tensor`);
    }
    return bytesToFloat32(t.dataType, this.tensorBytes(t), t.name);
  }

  /** A float tensor's values in order, a piece at a time (a weight in a file is never held whole). */
  *float32Chunks(t: TensorProto): Generator<Float32Array> {
    if (!isFloatType(t.dataType)) {
      throw new SubcloneError('Unsupported', `initializer ${quote(t.name)} is not a float tensor`);
    }
    for (const chunk of this.tensorChunks(t)) yield bytesToFloat32(t.dataType, chunk, t.name);
  }

  /** Integer (or float) values as numbers, for shape constants and small tensors. */
  numbers(t: TensorProto): number[] {
    return bytesToNumbers(t.dataType, this.tensorBytes(t), t.name);
  }

  /**
   * The model as one self-contained ONNX file's bytes, every weight inline: for small models handed over whole
   * (an in-memory session, a test). Large models go through writeModel, which streams.
   */
  toBytes(): Uint8Array {
    return toBinary(ModelProtoSchema, this.inlinedProto());
  }

  /** A shallow copy of the proto whose initializers hold their bytes in raw_data (external data read in). */
  inlinedProto(): ModelProto {
    return { ...this.proto, graph: { ...this.graph, initializer: this.graph.initializer.map((t) => this.inlined(t)) } };
  }

  /** The tensor with its bytes in raw_data: itself unless it is external, else a copy with its data read in. */
  inlined(t: TensorProto): TensorProto {
    return isExternal(t) ? tensorWithBytes(t, this.tensorBytes(t)) : t;
  }

  /** Closes external data file handles. */
  close(): void {
    this.external.close();
  }
}
