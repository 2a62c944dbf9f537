import * as fs from 'node:fs';
import * as path from 'node:path';
import { SubcloneError } from '../errors';
import { OnnxModel, type LoadOptions } from '../onnx/onnxModel';
import { isDirectory } from '../fs/isDirectory';
import { isSafetensorsWeights } from '../safetensors/shards';
import { buildHfModel, hfCheckpointFiles } from './hfGraph/hfModel';

/**
 * Opens a checkpoint as an ONNX model, whatever its format: an ONNX file (read lazily, weights left in the file), or
 * a Hugging Face checkpoint — a folder with config.json and model.safetensors (or shards and their index), or one
 * of those weight files — whose graph is built from config.json with the weights left in the safetensors files.
 * Everything downstream (recognition, importance, subcloning, training) works on the result alike.
 */
export function openCheckpoint(file: string, options: LoadOptions = {}): OnnxModel {
  const hf = hfCheckpointFiles(file);
  if (hf) return buildHfModel(hf);
  const abs = path.resolve(file);
  if (isDirectory(abs)) throw new SubcloneError('BadModel', folderMessage(abs));
  return OnnxModel.load(abs, options);
}

/** Whether a model was built from a Hugging Face checkpoint (its file is the safetensors weights or their index). */
export function isHfCheckpoint(model: OnnxModel): boolean {
  return model.file !== undefined && isSafetensorsWeights(model.file);
}

/**
 * The file that names a checkpoint given as a path: the .onnx itself, or an HF folder's model.safetensors (or
 * index). Reports, subclones and provenance are placed and named from it.
 */
export function checkpointFile(file: string): string {
  return hfCheckpointFiles(file)?.weights ?? path.resolve(file);
}

function folderMessage(folder: string): string {
  const onnx = fs.readdirSync(folder).filter((f) => f.toLowerCase().endsWith('.onnx'));
  const hint = onnx.length ? `; it holds ${onnx.slice(0, 3).join(', ')}${onnx.length > 3 ? ', …' : ''}` : '';
  return `${folder} is a folder, but neither a Hugging Face checkpoint (config.json with model.safetensors or model.safetensors.index.json) nor an ONNX model file: give the .onnx file itself${hint}`;
}

/** A checkpoint file's name without its format's extension: model.onnx, model.safetensors, model.safetensors.index.json → model. */
export function checkpointStem(file: string): string {
  return path.basename(file).replace(/\.(onnx|safetensors|safetensors\.index\.json)$/i, '');
}
