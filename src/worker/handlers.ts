import * as fs from 'node:fs';
import * as path from 'node:path';
import { convergenceSetup } from '../core/converge/convergenceSetup';
import { openCheckpoint } from '../core/checkpoint/openCheckpoint';
import { hfShapeProblems } from '../core/hf/hfCheckpoint';
import { parentConfigOf } from '../core/hf/parentConfig';
import { INDEX_FILE_NAME, SINGLE_FILE_NAME } from '../core/safetensors/shards';
import { summarizeModel } from '../core/onnx/modelSummary';
import { importanceForFile } from '../core/importance/importanceForFile';
import { oneLineSummary } from '../core/importance/summary';
import { inspectModel } from '../core/recognize/inspectModel';
import { shapePresets } from '../core/subclone/presets';
import { checkShape, countShapeParameters } from '../core/subclone/shape';
import { subclone } from '../core/subclone/subclone';
import { importanceHandlers } from './importanceHandlers';
import { mapOf } from './mapCache';
import { knownSearch, reportOf } from './reportCache';
import { CUDA_INSTALL_HINT, type ProviderPreference } from '../core/runtime/executionProvider';
import { cudaUnavailableReason, expectedProvider } from '../core/runtime/ortSession';
import { formatTrainProgress } from '../core/train/progressMessage';
import { trainOnData } from '../core/train/trainOnData';
import type { MethodName, Params, Result } from '../protocol/workerProtocol';
import { convergeReporting, estimateWithDefaultSteps } from '../core/converge/reporting';

/** What a handler gets to report progress and see cancellation. */
export interface CallContext {
  signal: AbortSignal;
  provider: ProviderPreference;
  progress(fraction: number | undefined, message: string): void;
  notice(message: string): void;
}

type Handlers = { [M in MethodName]: (params: Params<M>, ctx: CallContext) => Promise<Result<M>> };

export const handlers: Handlers = {
  async summarize({ file }) {
    const model = openCheckpoint(file);
    try {
      return summarizeModel(model);
    } finally {
      model.close();
    }
  },
  inspect: ({ file }, { signal }) => inspectModel(file, signal),
  async shapePresets({ file }, { signal }) {
    return shapePresets(await mapOf(file, signal));
  },
  async hfPlan({ file, shapes }, { signal }) {
    const problems = hfShapeProblems(await mapOf(file, signal), parentConfigOf(file));
    return { model: problems.model, shapes: shapes.map((s) => problems.model ?? problems.shape(s)) };
  },
  async validateShape({ file, shape }, { signal }) {
    const map = await mapOf(file, signal);
    const check = checkShape(map, shape);
    return { ok: check.ok, message: check.ok ? null : check.problems.join('; '), parameters: check.ok ? countShapeParameters(map, shape) : null };
  },
  async importance({ file, data, samples }, { signal, provider, progress, notice }) {
    const { report, reportFile } = await importanceForFile({
      model: file, data: data === null ? { kind: 'weights' } : { kind: 'path', path: data }, ...(samples ? { samples } : {}), provider, signal, onNotice: notice,
      onProgress: (p) => progress(p.stage === 'data' ? undefined : p.done / p.total, p.message),
    });
    return { reportFile, summary: oneLineSummary(report) };
  },
  async apply({ file, shape, data, outDir, overwrite, report, blocks, format }, ctx) {
    // The panel's loss-guided search for this shape ran on the report's data with apply's seed: reuse it.
    const search = report && (blocks ?? 'loss') === 'loss' && data !== null && data === reportOf(report).calibration.path ? knownSearch(file, report, shape) : null;
    const r = await subclone(file, {
      map: await mapOf(file, ctx.signal),
      shape,
      data,
      ...(report ? { report } : {}),
      ...(blocks ? { blocks: { kind: blocks } } : {}),
      ...(search ? { blockSearch: { chosen: search.chosen, candidates: search.candidates, method: search.method } } : {}),
      ...(outDir ? { outDir } : {}),
      overwrite: overwrite ?? false,
      ...(format ? { format } : {}),
      provider: ctx.provider,
      signal: ctx.signal,
      onProgress: (f, m) => ctx.progress(f, m),
      onNotice: (m) => ctx.notice(m),
    });
    const v = r.provenance.verification;
    return {
      outDir: r.outDir,
      modelFile: r.modelFile,
      blocks: r.provenance.kept.blocks,
      parameters: { parent: r.provenance.parent.parameters, child: r.provenance.parameters },
      losses: v ? { parent: v.parent, child: v.child, randomInit: v.randomInit, metric: v.metric } : null,
      createdAt: r.provenance.createdAt,
      written: writtenOf(r.outDir, r.provenance.output),
    };
  },
  ...importanceHandlers,
  converge: (params, { signal, provider, progress, notice }) => convergeReporting(params, { signal, provider, progress, notice }),
  convergeSetup: (params, { signal }) => convergenceSetup(params.child, signal),
  convergeEstimate: (params, { signal, provider, notice }) => estimateWithDefaultSteps(params, { signal, provider, notice }),
  train: (params, { signal, provider, progress, notice }) =>
    trainOnData({ ...params, provider: params.provider ?? provider }, { signal, onNotice: notice, onProgress: (p) => progress(p.step / p.steps, formatTrainProgress(p)) }),
  async executionProvider(_params, { provider }) {
    const active = expectedProvider(provider);
    if (active === 'cuda' || provider === 'cpu') return { preference: provider, provider: active, reason: null };
    const why = cudaUnavailableReason() ?? 'CUDA is not available';
    return { preference: provider, provider: active, reason: `${why}. ${CUDA_INSTALL_HINT}` };
  },
};

/** What apply wrote into the child's folder, from its provenance (and the folder, for subclone.json files without it). */
function writtenOf(outDir: string, output: { onnx: boolean; hf: { modelType: string } | { notWritten: string } | null } | undefined): Result<'apply'>['written'] {
  const hfFile = [SINGLE_FILE_NAME, INDEX_FILE_NAME].map((f) => path.join(outDir, f)).find((f) => fs.existsSync(f));
  const hf = output?.hf ?? null;
  return {
    onnx: output?.onnx ?? fs.existsSync(path.join(outDir, 'model.onnx')),
    hf: hf && 'modelType' in hf && hfFile ? { modelType: hf.modelType, file: hfFile } : null,
    hfNotWritten: hf && 'notWritten' in hf ? hf.notWritten : null,
  };
}
