import type { OnnxModel } from '../onnx/onnxModel';
import { recognize } from '../recognize/recognize';
import { trainingTargetFromMap, type TrainingTarget } from './target';

/** The training target of a model, from the recognizer's map: the one place the CLI and the worker get it from. */
export async function trainingTargetFor(model: OnnxModel, signal?: AbortSignal): Promise<TrainingTarget> {
  return trainingTargetFromMap(await recognize(model, signal ? { signal } : {}));
}
