import * as path from 'node:path';
import { SubcloneError } from '../errors';
import type { Provider } from '../runtime/executionProvider';
import type { TransformerMap } from '../recognize/transformerMap';
import { globalScores, pairwise, rankingOf, spearman, topKOverlap } from './agreement';
import { IMPORTANCE_REPORT_VERSION, type CalibrationInfo, type ImportanceReport } from './report';
import type { StatMeans } from './statSums';

export interface ReportContext {
  modelFile: string;
  map: TransformerMap;
  calibration: CalibrationInfo;
  /** Default: half the embedding width. */
  topK?: number;
  provider: Provider;
  seconds: number;
}

/** Scores, rankings and agreement from the mean statistics, in the report's fixed layout. */
export function buildReport(means: StatMeans, c: ReportContext): ImportanceReport {
  const D = c.map.dims.dModel;
  const topK = c.topK ?? Math.ceil(D / 2);
  if (!Number.isInteger(topK) || topK < 1 || topK > D) throw new SubcloneError('BadArgument', `top-k must be between 1 and the embedding width ${D}, got ${topK}`);
  const scores = globalScores(means.points);
  return {
    version: IMPORTANCE_REPORT_VERSION,
    model: { file: path.resolve(c.modelFile), family: c.map.family, dims: c.map.dims },
    calibration: c.calibration,
    embedding: {
      ranking: rankingOf(scores),
      scores: rounded(scores),
      perLayer: means.points.map(rounded),
      agreement: {
        spearman: pairwise(means.points, spearman).map(rounded),
        topK,
        topKOverlap: pairwise(means.points, (a, b) => topKOverlap(a, b, topK)).map(rounded),
      },
    },
    ffn: means.ffn.map(rounded),
    heads: means.heads.map(rounded),
    kvGroups: means.heads.map((h, b) => kvGroupScores(h, c.map.blocks[b].attention.kvHeads)).map(rounded),
    blocks: { relativeMagnitude: rounded(means.relativeMagnitude), oneMinusCos: rounded(means.oneMinusCos) },
    run: { provider: c.provider, seconds: Number(c.seconds.toFixed(3)), createdAt: new Date().toISOString() },
  };
}

/** Grouped-query attention: query head h = g·(H/KV) + j belongs to KV group g; a group scores its heads' sum. */
export function kvGroupScores(heads: readonly number[], kvHeads: number): number[] {
  if (kvHeads < 1 || heads.length % kvHeads !== 0) {
    throw new SubcloneError('ShapeMismatch', `${heads.length} query heads do not split into ${kvHeads} KV groups`);
  }
  const perGroup = heads.length / kvHeads;
  return Array.from({ length: kvHeads }, (_, g) => heads.slice(g * perGroup, (g + 1) * perGroup).reduce((s, v) => s + v, 0));
}

/** Seven significant digits (float32's precision) keep the JSON small and lose nothing measured. */
function rounded(values: readonly number[]): number[] {
  return values.map((v) => (v === 0 || !Number.isFinite(v) ? v : Number(v.toPrecision(7))));
}
