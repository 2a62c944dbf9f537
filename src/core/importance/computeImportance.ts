import type * as ort from 'onnxruntime-node';
import type { CalibrationSource, Feeds } from '../data/calibrationSource';
import { SubcloneError, errorMessage, throwIfAborted } from '../errors';
import type { OnnxModel } from '../onnx/onnxModel';
import type { TransformerMap } from '../recognize/transformerMap';
import { buildReport } from './buildReport';
import { calibrationFor } from './calibrationFor';
import { instrumentModel } from './instrument';
import { layoutOutputs } from './statLayout';
import { openModelSession } from '../runtime/modelSession';
import type { ImportanceOptions } from './options';
import type { CalibrationInfo, ImportanceReport } from './report';
import { describeNonFinite, nonFiniteWeight } from './finiteWeights';
import { NonFiniteActivation, StatSums, type StatMeans } from './statSums';
import { weightScores } from './weightScores';

/**
 * Neuron importance of a recognised transformer (SPEC §2.2–2.5): runs the calibration batches through an
 * instrumented copy of the graph whose only outputs are masked sums, accumulates them, and builds the report.
 * Padding (attention_mask = 0) never counts; memory does not grow with the number of batches. With data 'weights'
 * nothing runs: scores come from weight magnitudes. Cancelling through `signal` stops before the next batch.
 *
 * Precondition: `map` was recognised from `model`. `model.file` names the model in the report and locates its
 * tokenizer.json / preprocessor_config.json.
 */
export async function computeImportance(model: OnnxModel, map: TransformerMap, options: ImportanceOptions): Promise<ImportanceReport> {
  const started = performance.now();
  const modelFile = model.file ?? 'model.onnx';
  const seconds = () => (performance.now() - started) / 1000;
  throwIfAborted(options.signal);
  if (options.data.kind === 'weights') {
    const means = weightScores(model, map, options);
    if (!allFinite(means)) throwNonFinite(model, modelFile, 'its weight-magnitude scores are not finite');
    const calibration: CalibrationInfo = { source: 'weights', path: null, samples: 0, tokens: 0, sequenceLength: null, fallback: true, tokenizer: null, seed: options.seed ?? 0 };
    return buildReport(means, { modelFile, map, calibration, ...topK(options), provider: 'cpu', seconds: seconds() });
  }
  const source = calibrationFor(modelFile, map, options);
  throwIfAborted(options.signal);
  const instrumented = instrumentModel(model, map);
  const { session, provider } = await openModelSession(instrumented.model, {
    provider: options.provider ?? 'auto',
    ...(options.threads ? { threads: options.threads } : {}),
    ...(options.onNotice ? { onNotice: options.onNotice } : {}),
  });
  const sums = new StatSums(instrumented.layout);
  try {
    options.onProgress?.({ stage: 'calibration', done: 0, total: source.batches, tokens: 0, message: `calibration: ${source.batches} batch${source.batches === 1 ? '' : 'es'} on ${provider}` });
    await runBatches(source, sums, options, async (feeds) => session.run(feeds, layoutOutputs(instrumented.layout)), (e) => {
      // A non-finite activation: name the weight behind it when a weight holds NaN/∞; else it is the data's doing.
      if (nonFiniteWeight(model)) throwNonFinite(model, modelFile, errorMessage(e));
    });
  } finally {
    await session.release();
  }
  const d = source.description;
  const calibration: CalibrationInfo = { ...d, tokens: sums.tokens, fallback: d.source === 'random' };
  return buildReport(sums.means(), { modelFile, map, calibration, ...topK(options), provider, seconds: seconds() });
}

type Run = (feeds: Feeds) => Promise<Record<string, ort.Tensor>>;

/** Runs every batch in order, adding its sums; checks for cancellation before each batch. */
async function runBatches(source: CalibrationSource, sums: StatSums, o: ImportanceOptions, run: Run, explainNonFinite: (e: unknown) => void): Promise<void> {
  for (let i = 0; i < source.batches; i++) {
    throwIfAborted(o.signal);
    const feeds = await source.batch(i);
    let out: Record<string, ort.Tensor>;
    try {
      out = await run(feeds);
    } catch (e) {
      throw new SubcloneError('Runtime', `calibration batch ${i + 1} of ${source.batches} failed in onnxruntime: ${errorMessage(e)}`, { cause: e });
    }
    try {
      sums.add(out, i + 1);
    } catch (e) {
      if (e instanceof NonFiniteActivation) explainNonFinite(e);
      throw e;
    }
    o.onProgress?.({ stage: 'calibration', done: i + 1, total: source.batches, tokens: sums.tokens, message: `calibration batch ${i + 1}/${source.batches}` });
  }
  throwIfAborted(o.signal);
}

function allFinite(m: StatMeans): boolean {
  const finite = (xs: ArrayLike<number>) => Array.prototype.every.call(xs, (x: number) => Number.isFinite(x));
  return [...m.points, ...m.ffn, ...m.heads].every(finite) && finite(m.relativeMagnitude) && finite(m.oneMinusCos);
}

function throwNonFinite(model: OnnxModel, file: string, what: string): never {
  const w = nonFiniteWeight(model);
  const where = w ? describeNonFinite(w) : 'no weight holds NaN/∞';
  throw new SubcloneError('BadModel', `${file} cannot be scored: ${where} (${what}); fix or re-export the checkpoint`);
}

function topK(o: ImportanceOptions): { topK?: number } {
  return o.topK !== undefined ? { topK: o.topK } : {};
}
