import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import { SubcloneError, errorMessage } from '../errors';
import { isExternal } from '../onnx/externalData';
import type { OnnxModel } from '../onnx/onnxModel';
import { ModelProtoSchema } from '../onnx/proto';
import { writeModel } from '../onnx/writeModel';
import { openSession, type OpenSession, type SessionOptions } from './ortSession';

/** Above this many weight bytes a model goes to onnxruntime through a file (serialising it would double it in memory). */
export const IN_MEMORY_LIMIT = 64 * 1024 * 1024;

/**
 * Opens an onnxruntime session on an in-memory (edited) model, by the cheapest route for its size:
 * - weights in files (external data, or ranges of the model file it was read from): the graph alone is handed
 *   over as bytes, with the model's folder as the place external data resolves (nothing is written, so a
 *   read-only folder is fine);
 * - large inline weights: the model is streamed (weights copied straight from their source) to a temporary
 *   folder, since serialising it in memory would hold it twice;
 * - small models: serialised in memory.
 * Temporary files are removed as soon as the session holds the model.
 *
 * Two onnxruntime defaults are off, measured on the 400 MB GPT-2 with no loss of speed: the memory pattern (on top
 * of its arena, a block planned for every activation of the largest run: 34 MiB of the importance run's peak) and
 * weight pre-packing (a packed copy of the MatMul weights made while the session opens: the loss model's peak
 * while opening went from 753 to 364 MiB).
 */
export async function openModelSession(model: OnnxModel, requested: SessionOptions, inMemoryLimit = IN_MEMORY_LIMIT): Promise<OpenSession> {
  const options: SessionOptions = { memoryPattern: false, prepacking: false, ...requested };
  if (model.graph.initializer.some(isExternal)) {
    return openSession(toBinary(ModelProtoSchema, model.proto), { ...options, externalDataFolder: model.baseDir });
  }
  const weightBytes = model.graph.initializer.reduce((n, t) => n + model.tensorByteLength(t), 0);
  if (weightBytes <= inMemoryLimit) return openSession(toBinary(ModelProtoSchema, model.proto), options);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'subclone-importance-'));
  return withTemporary(dir, () => writeModel(model, path.join(dir, 'model.onnx')), () => openSession(path.join(dir, 'model.onnx'), options));
}

async function withTemporary<T>(target: string, write: () => unknown, open: () => Promise<T>): Promise<T> {
  try {
    try {
      write();
    } catch (e) {
      throw new SubcloneError('Runtime', `cannot write the instrumented model to ${target}: ${errorMessage(e)}`, { cause: e });
    }
    return await open();
  } finally {
    fs.rmSync(target, { recursive: true, force: true });
  }
}
