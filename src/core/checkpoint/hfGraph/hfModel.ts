import * as fs from 'node:fs';
import * as path from 'node:path';
import { SubcloneError, errorMessage, isSubcloneError } from '../../errors';
import { OnnxModel } from '../../onnx/onnxModel';
import { quote } from '../../quote';
import { INDEX_FILE_NAME, SINGLE_FILE_NAME, isSafetensorsWeights, openCheckpointWeights } from '../../safetensors/shards';
import { isDirectory } from '../../fs/isDirectory';
import { CheckpointTensors } from './checkpointTensors';
import { ConfigReader } from './configReader';
import type { FamilySpec } from './family';
import { GraphBuilder } from './graphBuilder';
import { HF_BUILD_FAMILIES } from './families';

/** The parts of a Hugging Face checkpoint folder. */
export interface HfCheckpointFiles {
  folder: string;
  config: string;
  /** model.safetensors, or model.safetensors.index.json for a sharded checkpoint: the file that names the model. */
  weights: string;
}

/**
 * The checkpoint a path names: a folder holding config.json and model.safetensors (or the shard index), or one of
 * those two weight files; undefined when the path is none of these (it may be an ONNX model).
 */
export function hfCheckpointFiles(p: string): HfCheckpointFiles | undefined {
  const abs = path.resolve(p);
  let folder: string;
  let weights: string | undefined;
  if (isDirectory(abs)) {
    folder = abs;
    weights = [SINGLE_FILE_NAME, INDEX_FILE_NAME].map((f) => path.join(abs, f)).find((f) => fs.existsSync(f));
  } else if (isSafetensorsWeights(abs)) {
    folder = path.dirname(abs);
    weights = abs;
  } else {
    return undefined;
  }
  return weights ? { folder, config: path.join(folder, 'config.json'), weights } : undefined;
}

/** Reads config.json; MissingData when absent, BadModel when it is not a JSON object. */
export function readHfConfig(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new SubcloneError('MissingData', `cannot read ${file}, which a Hugging Face checkpoint needs beside its weights: ${errorMessage(e)}`, { cause: e });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SubcloneError('BadModel', `${file} is not valid JSON: ${errorMessage(e)}`, { cause: e });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SubcloneError('BadModel', `${file} is not a JSON object`);
  return parsed as Record<string, unknown>;
}

/** The family and HF class config.json asks for, checked before any weight is read. */
export function hfBuildPlan(config: ConfigReader): { family: FamilySpec; modelType: string; architecture: string } {
  const modelType = config.string('model_type');
  const family = HF_BUILD_FAMILIES.find((f) => f.modelTypes.includes(modelType));
  if (!family) {
    const known = HF_BUILD_FAMILIES.flatMap((f) => f.modelTypes).join(', ');
    throw new SubcloneError('Unsupported', `not supported yet: model_type ${quote(modelType)} (${config.file}); Subclone reads ${known}`);
  }
  const supported = family.architectures(modelType);
  const listed = config.raw.architectures;
  const architecture = Array.isArray(listed) && typeof listed[0] === 'string' ? listed[0] : supported[0];
  if (!supported.includes(architecture)) {
    throw new SubcloneError('Unsupported', `not supported yet: ${architecture} (${config.file}); for ${modelType} Subclone builds ${supported.join(', ')}`);
  }
  family.check(config, modelType);
  return { family, modelType, architecture };
}

/**
 * Builds the ONNX graph of a Hugging Face checkpoint: the family's modeling code in eager mode, written as
 * nodes, with every weight an initializer whose bytes stay in the safetensors file (external data by shard, offset
 * and length, so nothing is copied or converted). The model's `file` is the weights file that names the
 * checkpoint (model.safetensors or the shard index), so what Subclone writes beside a model lands in the folder.
 * Tensors the class does not use (another head's, buffers) are listed in the model's doc string.
 */
export function buildHfModel(files: HfCheckpointFiles): OnnxModel {
  const config = new ConfigReader(readHfConfig(files.config), files.config);
  const { family, modelType, architecture } = hfBuildPlan(config);
  const weights = openCheckpointWeights(files.weights);
  let proto;
  try {
    const b = new GraphBuilder();
    const tensors = new CheckpointTensors(weights, files.folder, family.prefix(modelType), b);
    family.build({ b, config, weights: tensors, architecture, modelType });
    const unused = tensors.unused();
    const doc = `${architecture} built by Subclone from ${path.basename(files.folder)}/config.json and ${path.basename(files.weights)}` +
      (unused.length ? `; tensors ${architecture} does not use: ${unused.join(', ')}` : '');
    proto = b.build(`${modelType} (${architecture})`, doc);
  } catch (e) {
    if (isSubcloneError(e)) throw e;
    throw new SubcloneError('BadModel', `cannot build ${files.folder} as ${architecture}: ${errorMessage(e)}`, { cause: e });
  } finally {
    weights.close();
  }
  const model = OnnxModel.fromProto(proto, files.folder, files.weights);
  model.checkTensors();
  return model;
}
