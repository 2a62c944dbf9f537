import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SubcloneError, errorMessage } from '../errors';
import { externalRef, isExternal } from '../onnx/externalData';
import { OnnxModel } from '../onnx/onnxModel';
import { writeModel } from '../onnx/writeModel';
import { collectGarbage } from '../runtime/collectGarbage';
import { randomInit, randomInitTensors } from '../train/randomInit';
import type { TrainingTarget } from '../train/target';
import { encodeFloats, modelWithWeights } from '../train/weights';

/**
 * Models written to a temporary folder and read back from there, their weights left in the files: onnxruntime maps
 * them instead of copying them, and JavaScript lets go of the copy it built (collect it: collectGarbage). apply
 * verifies the subclone and a random init this way, so neither is held twice (in JavaScript and in onnxruntime)
 * while its loss runs. close() closes the models and removes the folder.
 */
export class StagedModels {
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'subclone-staged-'));
  private readonly models: OnnxModel[] = [];

  /** `model` written as `name` and read back: the same graph and values, weights read by range from the file. */
  stage(model: OnnxModel, name: string, signal?: AbortSignal): OnnxModel {
    const file = path.join(this.dir, name);
    try {
      writeModel(model, file, signal ? { signal } : {});
    } catch (e) {
      throw new SubcloneError('Runtime', `cannot write a temporary copy of the model to ${this.dir}: ${errorMessage(e)}`, { cause: e });
    }
    return this.keep(OnnxModel.load(file));
  }

  /**
   * randomInit(model, target, seed) for a model staged here: its file is copied and each parameter's random values
   * are written over its bytes one tensor at a time (small tensors the graph holds inline are replaced in the
   * graph), so the random values are never all in memory at once. Other models fall back to randomInit.
   */
  randomInit(model: OnnxModel, target: TrainingTarget, seed: number, name = 'random-init.onnx'): OnnxModel {
    const source = model.file && path.dirname(path.resolve(model.file)) === this.dir ? path.resolve(model.file) : undefined;
    const ownFile = (m: OnnxModel) => m.graph.initializer.every((t) => !isExternal(t) || externalRef(t, m.baseDir).file === path.resolve(m.file!));
    if (!source || !ownFile(model)) return randomInit(model, target, seed);
    const file = path.join(this.dir, name);
    fs.copyFileSync(source, file);
    const copy = OnnxModel.load(file);
    const inline = new Map<string, Float32Array>();
    const fd = fs.openSync(file, 'r+');
    try {
      const tensors = new Map(copy.graph.initializer.map((t) => [t.name, t]));
      for (const [tensorName, values] of randomInitTensors(copy, target, seed)) {
        const t = tensors.get(tensorName)!;
        const bytes = encodeFloats(t, values);
        const ref = isExternal(t) ? externalRef(t, copy.baseDir) : undefined;
        if (!ref || ref.length !== bytes.length) {
          inline.set(tensorName, values);
          continue;
        }
        for (let done = 0; done < bytes.length; ) done += fs.writeSync(fd, bytes, done, bytes.length - done, ref.offset + done);
      }
    } finally {
      fs.closeSync(fd);
      copy.close();
    }
    const written = this.keep(OnnxModel.load(file));
    // The random values went to the file one tensor at a time: collected now, not beside the session that maps them.
    collectGarbage();
    return inline.size ? this.keep(modelWithWeights(written, inline)) : written;
  }

  close(): void {
    for (const m of this.models) m.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private keep(model: OnnxModel): OnnxModel {
    this.models.push(model);
    return model;
  }
}
