import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listImages } from '../data/imageData';
import { SubcloneError, throwIfAborted } from '../errors';
import { checkpointFile, openCheckpoint } from '../checkpoint/openCheckpoint';
import { recognize } from '../recognize/recognize';
import type { TransformerMap } from '../recognize/transformerMap';
import type { Provider } from '../runtime/executionProvider';
import { expectedProvider } from '../runtime/ortSession';
import { trainingTargetFromMap, type TrainingTarget } from '../train/target';
import type { ConvergenceFile } from './convergenceFile';
import { plannedRuns, resolveSettings, type ConvergeSettings, type ResolvedSettings, type RunKey } from './settings';
import { prepareData, sweepBatches, untrainableReason, type SweepData } from './sweepData';

/** Everything a sweep (or its time estimate) needs, checked before any run starts. */
export interface PreparedSweep {
  /** The child model, absolute. */
  child: string;
  map: TransformerMap;
  target: TrainingTarget;
  data: SweepData;
  dataSummary: ConvergenceFile['data'];
  settings: ResolvedSettings;
  runs: RunKey[];
  provider: Provider;
}

/** Above this many parameters 'auto' runs the sweep one run at a time with onnxruntime's threads (large GEMMs use them). */
export const PARALLEL_MAX_PARAMETERS = 30_000_000;

export interface PrepareOptions {
  signal?: AbortSignal;
  onNotice?: (message: string) => void;
}

/**
 * Reads the child and the data and resolves the settings, failing early with the reason when the trainer cannot
 * train this model on this data (an encoder without a head, a classifier given text, …).
 */
export async function prepareSweep(childFile: string, dataPath: string, settings: Partial<ConvergeSettings>, o: PrepareOptions = {}): Promise<PreparedSweep> {
  const child = checkpointFile(childFile);
  if (!fs.existsSync(child)) throw new SubcloneError('BadModel', `the model ${childFile} does not exist`);
  if (!fs.existsSync(dataPath)) throw new SubcloneError('MissingData', `the training data ${dataPath} does not exist`);
  const model = openCheckpoint(child);
  try {
    const map = await recognize(model, o.signal ? { signal: o.signal } : {});
    const target = trainingTargetFromMap(map);
    const isFolder = fs.statSync(dataPath).isDirectory();
    const why = untrainableReason(target, isFolder, path.basename(child));
    if (why) throw new SubcloneError('Unsupported', why);
    const provider = expectedProvider(settings.provider ?? 'auto');
    const resolved = resolveSettings(settings, 1); // checks everything; parallel set below
    const runList = plannedRuns(resolved);
    const parallel = resolveParallel(settings.parallel ?? 'auto', runList.length, provider, map.parameterCounts.total);
    const s: ResolvedSettings = { ...resolved, parallel };
    const context = map.dims.context;
    if (!isFolder && context !== null && s.seq > context) {
      throw new SubcloneError('BadArgument', `--seq ${s.seq} is longer than the model's context (${context} tokens)`);
    }
    throwIfAborted(o.signal);
    const data = prepareData(child, dataPath, s, o.signal, o.onNotice);
    const validation = sweepBatches(model, child, target, data, s, o.onNotice).validation();
    const dataSummary: ConvergenceFile['data'] = {
      path: path.resolve(dataPath),
      kind: data.kind,
      tokenizer: data.kind === 'text' ? data.tokens.tokenizer : 'images',
      trainItems: data.kind === 'text' ? data.tokens.train.length : trainImages(dataPath),
      validationItems: validation.reduce((a, b) => a + (data.kind === 'text' ? b.tokens / s.seq : b.tokens), 0), // windows or images
      validationTokens: validation.reduce((a, b) => a + b.tokens, 0),
    };
    return { child, map, target, data, dataSummary, settings: s, runs: runList, provider };
  } finally {
    model.close();
  }
}

/**
 * How many runs train side by side. A number is taken as given (at most the number of runs). 'auto': one run per
 * core on the CPU, as far as memory allows, for models up to PARALLEL_MAX_PARAMETERS (small models do not speed
 * up with more threads: the 3×96 example child trains at about the same tokens/s on one core as on two); one at a
 * time on CUDA (one device) and for larger models.
 */
export function resolveParallel(setting: number | 'auto', runs: number, provider: Provider, parameters: number): number {
  if (setting !== 'auto') return Math.max(1, Math.min(setting, runs));
  if (provider === 'cuda' || parameters > PARALLEL_MAX_PARAMETERS) return 1;
  const perRun = 300 * 2 ** 20 + parameters * 4 * 24; // weights, grads, AdamW moments, feeds, activations (rough)
  const byMemory = Math.floor((os.freemem() * 0.6) / perRun);
  return Math.max(1, Math.min(os.availableParallelism(), runs, byMemory));
}

/** Images an image folder trains on: imageBatchSource holds out 5% (at least one). */
function trainImages(folder: string): number {
  const n = listImages(folder).length;
  return n - Math.max(1, Math.round(n * 0.05));
}
