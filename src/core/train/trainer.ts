import * as ort from 'onnxruntime-node';
import { SubcloneError, errorMessage } from '../errors';
import { DataType } from '../onnx/dataType';
import { float16ToFloat32, float32ToFloat16 } from '../onnx/float16';
import type { OnnxModel } from '../onnx/onnxModel';
import type { ProviderPreference, Provider } from '../runtime/executionProvider';
import { openSession } from '../runtime/ortSession';
import type { Batch } from './batch';
import { LOSS_TARGETS, LOSS_WEIGHTS } from './loss';
import type { TrainingTarget } from './target';
import { transposeInto } from './tiedCopies';
import { buildTrainingGraph, type TrainingGraph, type TrainingGraphOptions } from './trainingGraph';
import { quote } from '../quote';

export interface TrainerOptions extends TrainingGraphOptions {
  provider?: ProviderPreference;
  onNotice?: (message: string) => void;
  /** Starting values by parameter name (e.g. a random init); the model's own values otherwise. */
  initial?: ReadonlyMap<string, Float32Array>;
  /** CPU threads for onnxruntime (default: its choice). */
  threads?: number;
}

/** A parameter as the trainer holds it: float32 master values, and the tensor fed to the graph each step. */
export interface ParamState {
  name: string;
  dims: number[];
  elem: number;
  values: Float32Array;
  feed: ort.Tensor;
  /** Whether the loss depends on it (only those get gradients and updates). */
  trained: boolean;
}

/**
 * One model's training graph in onnxruntime, reused across steps: it feeds the parameters, runs forward + backward
 * and returns the loss and gradients; `evaluate` runs forward + loss only. Float32 parameters are fed straight
 * from their master arrays (no copy per step); float16 ones are converted after each update (`syncFeeds`).
 */
export class Trainer {
  private constructor(
    readonly graph: TrainingGraph,
    readonly params: ParamState[],
    private readonly session: ort.InferenceSession,
    private readonly evalSession: ort.InferenceSession,
    readonly provider: Provider,
  ) {}

  static async create(model: OnnxModel, target: TrainingTarget, example: Batch, options: TrainerOptions = {}): Promise<Trainer> {
    const graph = await buildTrainingGraph(model, target, example.inputs, options);
    const params = graph.params.map((p) => paramState(model, p.name, p.info.dims, p.info.elem, options.initial?.get(p.name), graph.gradOutputs.has(p.name)));
    const open = (bytes: Uint8Array, onNotice?: (m: string) => void) =>
      openSession(bytes, { provider: options.provider ?? 'auto', onNotice, threads: options.threads });
    const train = await open(graph.train, options.onNotice);
    const evaluation = await open(graph.eval); // the same notice once is enough
    return new Trainer(graph, params, train.session, evaluation.session, train.provider);
  }

  /** The parameters that get gradients, in the order of `step`'s gradients. */
  get trained(): ParamState[] {
    return this.params.filter((p) => p.trained);
  }

  /** Forward + backward on one batch: the loss and each trained parameter's gradient (float32). */
  async step(batch: Batch): Promise<{ loss: number; grads: Float32Array[] }> {
    const trained = this.trained;
    const fetches = [this.graph.lossOutput, ...trained.map((p) => this.graph.gradOutputs.get(p.name)!)];
    const out = await this.run(this.session, batch, fetches);
    const grads = trained.map((p) => {
      const t = out[this.graph.gradOutputs.get(p.name)!];
      if (t.type === 'float32') return t.data as Float32Array; // a fresh output buffer per run: no copy needed
      return t.type === 'float16' ? float16ToFloat32(t.data as Uint16Array) : Float32Array.from(t.data as Float64Array);
    });
    return { loss: scalar(out[this.graph.lossOutput]), grads };
  }

  /** The loss on one batch, without gradients. */
  async evaluate(batch: Batch): Promise<number> {
    const out = await this.run(this.evalSession, batch, [this.graph.lossOutput]);
    return scalar(out[this.graph.lossOutput]);
  }

  /** Refreshes the fed tensors of non-float32 parameters from their master values (after an update). */
  syncFeeds(): void {
    for (const p of this.params) {
      if (p.elem === DataType.FLOAT16) float32ToFloat16(p.values, p.feed.data as Uint16Array<ArrayBuffer>);
      else if (p.elem === DataType.DOUBLE) (p.feed.data as Float64Array).set(p.values);
    }
  }

  /** Current values of every parameter and of every tied copy (the copy derived from its parameter). */
  values(): Map<string, Float32Array> {
    const out = new Map(this.params.map((p) => [p.name, p.values] as const));
    for (const c of this.graph.copies) {
      const p = this.params.find((x) => x.name === c.of)!;
      out.set(c.copy, c.transposed ? transposeInto(p.values, p.dims[0], p.dims[1], new Float32Array(p.values.length)) : p.values);
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
    await this.evalSession.release();
  }

  private async run(session: ort.InferenceSession, batch: Batch, fetches: string[]): Promise<ort.InferenceSession.ReturnType> {
    const feeds: Record<string, ort.Tensor> = { ...batch.inputs, [LOSS_TARGETS]: batch.targets, [LOSS_WEIGHTS]: batch.weights };
    for (const p of this.params) feeds[p.name] = p.feed;
    try {
      return await session.run(feeds, fetches);
    } catch (e) {
      throw new SubcloneError('Runtime', `the training step failed in onnxruntime: ${errorMessage(e)}`, { cause: e });
    }
  }
}

function paramState(model: OnnxModel, name: string, dims: number[], elem: number, initial: Float32Array | undefined, trained: boolean): ParamState {
  const t = model.graph.initializer.find((x) => x.name === name);
  if (!t) throw new SubcloneError('BadModel', `parameter ${quote(name)} is not an initializer`);
  const values = Float32Array.from(initial ?? model.float32(t));
  if (values.length !== dims.reduce((a, b) => a * b, 1)) throw new SubcloneError('ShapeMismatch', `starting values for ${quote(name)} have ${values.length} elements, expected [${dims}]`);
  let feed: ort.Tensor;
  if (elem === DataType.FLOAT) feed = new ort.Tensor('float32', values, dims);
  else if (elem === DataType.FLOAT16) feed = new ort.Tensor('float16', float32ToFloat16(values), dims);
  else if (elem === DataType.DOUBLE) feed = new ort.Tensor('float64', Float64Array.from(values), dims);
  else throw new SubcloneError('Unsupported', `parameter ${quote(name)}: only float32, float16 and float64 weights can be trained`);
  return { name, dims, elem, values, feed, trained };
}

function scalar(t: ort.Tensor): number {
  return Number((t.data as Float32Array)[0]);
}
