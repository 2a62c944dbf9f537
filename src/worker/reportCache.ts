import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BlockSearchView } from '../protocol/importanceProtocol';
import type { TargetShape } from '../protocol/shapes';
import { SubcloneError } from '../core/errors';
import type { LossProbe } from '../core/eval/lossProbe';
import type { ImportanceReport } from '../core/importance/report';
import { readImportanceReport } from '../core/importance/reportFile';
import type { OnnxModel } from '../core/onnx/onnxModel';
import type { TransformerMap } from '../core/recognize/transformerMap';
import { DEFAULT_EVAL_SAMPLES, scoringProbe } from '../core/subclone/blockScoring';
import { lossScoringOf, modelOfReport } from '../core/subclone/reportAnalysis';
import { subclonesOfReport } from '../core/subclone/subcloneRuns';
import type { ProviderPreference } from '../core/runtime/executionProvider';

/** "size:mtime": changes when the file does. */
function stamp(file: string): string {
  const st = fs.statSync(file);
  return `${st.size}:${st.mtimeMs}`;
}

const reports = new Map<string, { stamp: string; report: ImportanceReport }>();

/** A report read once while its file does not change (the panel asks for selections often). */
export function reportOf(reportFile: string): ImportanceReport {
  const abs = path.resolve(reportFile);
  const s = stamp(abs);
  const hit = reports.get(abs);
  if (hit?.stamp === s) return hit.report;
  const report = readImportanceReport(abs);
  reports.set(abs, { stamp: s, report });
  return report;
}

/** The model a report belongs to, or a SubcloneError saying why there is none. */
export function requireModelOf(reportFile: string, report: ImportanceReport): string {
  const model = modelOfReport(reportFile, report);
  if (!model) throw new SubcloneError('MissingData', `the model of ${path.basename(reportFile)} (${report.model.file}) is not found`);
  return model;
}

/** A report measured for another model than the one found: why, in words; null when they match. */
export function mismatchOf(report: ImportanceReport, map: TransformerMap): string | null {
  const r = report.model.dims;
  const m = map.dims;
  if (r.layers === m.layers && r.dModel === m.dModel && JSON.stringify(r.ffn) === JSON.stringify(m.ffn) && r.heads === m.heads) return null;
  return `the report describes ${r.layers} layers × ${r.dModel}, but the model found has ${m.layers} layers × ${m.dModel}: compute importance again`;
}

// Loss-guided searches for the shapes a panel asked about, by model file, report file and shape. Searches from
// subclone.json files written with a report count too, so a shape `apply` already searched is not searched again.
const searches = new Map<string, BlockSearchView>();

function searchKey(modelFile: string, reportFile: string, shape: TargetShape): string {
  return JSON.stringify([path.resolve(modelFile), stamp(modelFile), path.resolve(reportFile), stamp(reportFile), shape]);
}

export function rememberSearch(modelFile: string, reportFile: string, search: BlockSearchView): void {
  searches.set(searchKey(modelFile, reportFile, search.shape), search);
}

export function knownSearch(modelFile: string, reportFile: string, shape: TargetShape): BlockSearchView | null {
  const hit = searches.get(searchKey(modelFile, reportFile, shape));
  if (hit) return hit;
  const fromApply = subclonesOfReport(reportFile, modelFile).find((s) => s.search && JSON.stringify(s.search.shape) === JSON.stringify(shape))?.search;
  return fromApply ?? null;
}

// The scoring probe holds a few calibration batches (and, for encoders, the parent's outputs on them): keep the
// last one, by model, data and seed, so repeated scoring does not tokenize the data again. A probe replaced is
// closed (its reference file freed) once no call still uses it.
interface CachedProbe {
  key: string;
  probe: Promise<LossProbe>;
  users: number;
  replaced: boolean;
}
let cached: CachedProbe | undefined;

/** Runs `use` with the loss probe `apply` would use for a report's calibration data (the same batches, seed 0). */
export async function withProbe<T>(modelFile: string, parent: OnnxModel, map: TransformerMap, report: ImportanceReport, provider: ProviderPreference, signal: AbortSignal, use: (probe: LossProbe) => Promise<T>): Promise<T> {
  const entry = probeEntry(modelFile, parent, map, report, provider, signal);
  entry.users++;
  try {
    return await use(await entry.probe);
  } finally {
    entry.users--;
    closeIfUnused(entry);
  }
}

function probeEntry(modelFile: string, parent: OnnxModel, map: TransformerMap, report: ImportanceReport, provider: ProviderPreference, signal: AbortSignal): CachedProbe {
  const scoring = lossScoringOf(report);
  if (!scoring.available) throw new SubcloneError('BadArgument', scoring.reason ?? 'this report cannot score shapes by loss');
  const data = report.calibration.path!;
  const key = JSON.stringify([path.resolve(modelFile), stamp(modelFile), data, stamp(data), provider]);
  if (cached?.key === key) return cached;
  if (cached) {
    cached.replaced = true;
    closeIfUnused(cached);
  }
  const entry: CachedProbe = { key, probe: scoringProbe(modelFile, parent, map, { kind: 'path', path: data }, DEFAULT_EVAL_SAMPLES, { provider, signal }), users: 0, replaced: false };
  entry.probe.catch(() => {
    if (cached === entry) cached = undefined;
  });
  cached = entry;
  return entry;
}

function closeIfUnused(entry: CachedProbe): void {
  if (entry.replaced && entry.users === 0) entry.probe.then((p) => p.close(), () => undefined);
}
