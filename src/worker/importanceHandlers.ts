import { SubcloneError } from '../core/errors';
import { openCheckpoint } from '../core/checkpoint/openCheckpoint';
import { budgetParameters, fitBudget } from '../core/subclone/budgetSearch';
import { searchBlocksForShape } from '../core/subclone/blockScoring';
import { analyzeReport } from '../core/subclone/reportAnalysis';
import { selectionFor, widthScoresOf } from '../core/subclone/shapeSelection';
import { assertShape } from '../core/subclone/shape';
import type { CallContext } from './handlers';
import { mapOf } from './mapCache';
import { hfShapeProblems } from '../core/hf/hfCheckpoint';
import { parentConfigOf } from '../core/hf/parentConfig';
import { knownSearch, mismatchOf, withProbe, rememberSearch, reportOf, requireModelOf } from './reportCache';
import type { Params, Result } from '../protocol/workerProtocol';

/** The importance panel's worker methods. */
export const importanceHandlers = {
  async importanceView({ reportFile, recognize }: Params<'importanceView'>, { signal }: CallContext): Promise<Result<'importanceView'>> {
    const report = reportOf(reportFile);
    let modelFile: string | null = null;
    let modelProblem: string | null = null;
    let map = null;
    try {
      modelFile = requireModelOf(reportFile, report);
      if (recognize) {
        map = await mapOf(modelFile, signal);
        modelProblem = mismatchOf(report, map);
        if (modelProblem) map = null;
      }
    } catch (e) {
      if (e instanceof SubcloneError && e.code === 'Cancelled') throw e;
      modelProblem = e instanceof Error ? e.message : String(e);
    }
    return { ...analyzeReport(reportFile, report, modelFile, map), modelProblem };
  },

  async selectShape({ reportFile, shape, policy }: Params<'selectShape'>, { signal }: CallContext): Promise<Result<'selectShape'>> {
    const report = reportOf(reportFile);
    const modelFile = requireModelOf(reportFile, report);
    const map = await mapOf(modelFile, signal);
    return selectionFor(map, report, shape, policy, knownSearch(modelFile, reportFile, shape), hfShapeProblems(map, parentConfigOf(modelFile)));
  },

  async scoreBlocks({ reportFile, shape }: Params<'scoreBlocks'>, { signal, provider, progress }: CallContext): Promise<Result<'scoreBlocks'>> {
    const report = reportOf(reportFile);
    const modelFile = requireModelOf(reportFile, report);
    const map = await mapOf(modelFile, signal);
    assertShape(map, shape);
    const parent = openCheckpoint(modelFile);
    try {
      progress(undefined, 'preparing the calibration loss');
      return await withProbe(modelFile, parent, map, report, provider, signal, async (probe) => {
        const result = await searchBlocksForShape(parent, map, shape, widthScoresOf(report), probe, {
          signal,
          onProgress: (done, total, best) => progress(done / total, `block candidate ${done}/${total}${best ? ` (best ${best.loss.toFixed(3)} with [${best.blocks.join(', ')}])` : ''}`),
        });
        const search = { shape, chosen: result.chosen, method: result.method, metric: probe.metric, candidates: result.candidates, source: { kind: 'search' as const } };
        rememberSearch(modelFile, reportFile, search);
        return search;
      });
    } finally {
      parent.close();
    }
  },

  async fitBudget({ reportFile, budget, candidates }: Params<'fitBudget'>, { signal, provider, progress }: CallContext): Promise<Result<'fitBudget'>> {
    const report = reportOf(reportFile);
    const modelFile = requireModelOf(reportFile, report);
    const map = await mapOf(modelFile, signal);
    const parameters = budgetParameters(budget, map.parameterCounts.total);
    const parent = openCheckpoint(modelFile);
    try {
      progress(undefined, 'preparing the calibration loss');
      return await withProbe(modelFile, parent, map, report, provider, signal, async (probe) => {
        const { result, searches } = await fitBudget(parent, map, report, probe, parameters, {
          ...(candidates ? { candidates } : {}),
          signal,
          onProgress: (done, total, message) => progress(done / total, message),
        });
        searches.forEach((s, i) => rememberSearch(modelFile, reportFile, { shape: result.candidates[i].shape, chosen: s.chosen, method: s.method, metric: probe.metric, candidates: s.candidates, source: { kind: 'search' } }));
        return result;
      });
    } finally {
      parent.close();
    }
  },
};
