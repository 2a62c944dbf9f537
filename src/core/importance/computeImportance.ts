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
import { PARTS_ABOVE_BYTES, partitionModel, runInParts, weightBytes, type ModelPart } from '../runtime/modelParts';
import type { SessionOptions } from '../runtime/ortSession';
import type { Provider } from '../runtime/executionProvider';
import type { ImportanceOptions } from './options';
import type { CalibrationInfo, ImportanceReport } from './report';
import { describeNonFinite, nonFiniteWeight } from './finiteWeights';
import { NonFiniteActivation, StatSums, type StatMeans } from './statSums';
import { weightScores } from './weightScores';
import { attentionChunksFor } from '../autodiff/attentionChunks';
import { inputRoles } from '../data/inputRoles';

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
  // The first batch's shape sets how finely long attentions are cut; it is run first, then let go.
  let first: Feeds | undefined = await source.batch(0);
  const instrumented = instrumentModel(model, map, attentionChunksOf(map, first));
  const sessionOptions = {
    provider: options.provider ?? 'auto',
    ...(options.threads ? { threads: options.threads } : {}),
    ...(options.onNotice ? { onNotice: options.onNotice } : {}),
  } as const;
  const sums = new StatSums(instrumented.layout);
  // A non-finite activation: name the weight behind it when a weight holds NaN/∞; else it is the data's doing.
  const explainNonFinite = (e: unknown) => {
    if (nonFiniteWeight(model)) throwNonFinite(model, modelFile, errorMessage(e));
  };
  let provider: Provider;
  // A large model runs in parts one after the other, so onnxruntime holds a part of its weights at a time.
  const large = weightBytes(instrumented.model) > (options.partsAboveBytes ?? PARTS_ABOVE_BYTES);
  const parts = large ? partitionModel(instrumented.model, map.blocks.map((b) => b.output), map.embedding.output) : undefined;
  if (parts) {
    first = undefined;
    provider = await calibrateInParts(parts, source, sums, options, sessionOptions, explainNonFinite);
  } else {
    const opened = await openModelSession(instrumented.model, sessionOptions);
    provider = opened.provider;
    try {
      options.onProgress?.({ stage: 'calibration', done: 0, total: source.batches, tokens: 0, message: `calibration: ${source.batches} batch${source.batches === 1 ? '' : 'es'} on ${provider}` });
      const batch = (i: number) => {
        const feeds = i === 0 && first ? first : source.batch(i);
        first = undefined;
        return feeds;
      };
      await runBatches(source, batch, sums, options, async (feeds) => opened.session.run(feeds, layoutOutputs(instrumented.layout)), explainNonFinite);
    } finally {
      await opened.session.release();
    }
  }
  const d = source.description;
  const calibration: CalibrationInfo = { ...d, tokens: sums.tokens, fallback: d.source === 'random' };
  return buildReport(sums.means(), { modelFile, map, calibration, ...topK(options), provider, seconds: seconds() });
}

type Run = (feeds: Feeds) => Promise<Record<string, ort.Tensor>>;

/**
 * The calibration run of a model in parts (runInParts): every batch through the first part, then the next; the
 * sums are added in batch order once a batch's statistics from every part are in. Progress counts parts × batches runs.
 */
async function calibrateInParts(parts: readonly ModelPart[], source: CalibrationSource, sums: StatSums, o: ImportanceOptions, sessionOptions: SessionOptions, explainNonFinite: (e: unknown) => void): Promise<Provider> {
  const n = source.batches;
  const total = parts.length * n;
  let used: Provider = 'cpu';
  await runInParts(parts, sessionOptions, {
    batches: n,
    feeds: (i) => source.batch(i),
    onReady: (provider) => {
      used = provider;
      o.onProgress?.({ stage: 'calibration', done: 0, total, tokens: 0, message: `calibration: ${n} batch${n === 1 ? '' : 'es'} on ${provider}, through ${parts.length} parts of the model in turn` });
    },
    onOutputs: (i, out) => {
      try {
        sums.add(out, i + 1);
      } catch (e) {
        if (e instanceof NonFiniteActivation) explainNonFinite(e);
        throw e;
      }
    },
    onProgress: (part, done) => o.onProgress?.({ stage: 'calibration', done: part * n + done, total, tokens: sums.tokens, message: `calibration batch ${done}/${n}, part ${part + 1} of ${parts.length} of the model` }),
    failed: (i, e) => new SubcloneError('Runtime', `calibration batch ${i + 1} of ${n} failed in onnxruntime: ${errorMessage(e)}`, { cause: e }),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  throwIfAborted(o.signal);
  return used;
}

/** The slices each attention is cut into for batches shaped like `feeds` (token ids [batch, sequence]); 1 for images. */
function attentionChunksOf(map: TransformerMap, feeds: Feeds): number {
  const { ids } = inputRoles(map.inputs.map((v) => ({ name: v.name, dtype: v.dtype, rank: v.shape?.length ?? 0 })));
  const dims = ids ? feeds[ids]?.dims : undefined;
  return dims?.length === 2 ? attentionChunksFor({ batch: Number(dims[0]), sequence: Number(dims[1]) }) : 1;
}

/** Runs every batch in order, adding its sums; checks for cancellation before each batch. */
async function runBatches(source: CalibrationSource, batch: (i: number) => Promise<Feeds> | Feeds, sums: StatSums, o: ImportanceOptions, run: Run, explainNonFinite: (e: unknown) => void): Promise<void> {
  for (let i = 0; i < source.batches; i++) {
    throwIfAborted(o.signal);
    const feeds = await batch(i);
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
