import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ImportanceAnalysis } from './reportViews';
import type { TargetShape } from './targetShape';
import { consistencyOf } from '../importance/consistency';
import { outlierNeurons } from '../importance/outliers';
import type { ImportanceReport } from '../importance/report';
import type { Dims, TransformerMap } from '../recognize/transformerMap';
import { shapePresets } from './presets';
import { subclonesOfReport } from './subcloneRuns';

/**
 * The model a report belongs to: the file it names when that exists, else the model of the same stem beside the
 * report (`model.importance.json` → `model.onnx`, or a Hugging Face folder's `model.safetensors` or its index, for
 * a folder that was moved). Null when none exists.
 */
export function modelOfReport(reportFile: string, report: ImportanceReport): string | null {
  if (report.model.file && fs.existsSync(report.model.file)) return report.model.file;
  const stem = path.basename(reportFile).replace(/\.importance\.json$/i, '').replace(/\.json$/i, '');
  const dir = path.dirname(path.resolve(reportFile));
  return ['.onnx', '.safetensors', '.safetensors.index.json'].map((ext) => path.join(dir, `${stem}${ext}`)).find((f) => fs.existsSync(f)) ?? null;
}

/** Whether the report's calibration data can score candidates by loss; when not, why. */
export function lossScoringOf(report: ImportanceReport): ImportanceAnalysis['lossScoring'] {
  const c = report.calibration;
  if (c.source === 'weights') return { available: false, reason: 'This report is data-free (weight magnitudes): compute importance on real data to score shapes by calibration loss.' };
  if (c.source === 'random') return { available: false, reason: 'This report was measured on random inputs: compute importance on real data to score shapes by calibration loss.' };
  if (!c.path || !fs.existsSync(c.path)) return { available: false, reason: `The calibration data ${c.path ?? ''} is gone: compute importance again to score shapes by loss.` };
  return { available: true, reason: null };
}

/** The parent's numbers as one shape (the widest FFN when blocks differ). */
export function parentTargetShape(dims: Dims): TargetShape {
  return { layers: dims.layers, dModel: dims.dModel, heads: dims.heads, kvHeads: dims.kvHeads, ffn: Array.isArray(dims.ffn) ? Math.max(...dims.ffn) : dims.ffn };
}

/**
 * Everything the importance panel shows that the engine derives from a report: the consistency verdict, the
 * outlier neurons, the subclones made from it, and — when the model is found and recognised (`map`) — the
 * parent's shape, parameter count and the Subclone… presets.
 */
export function analyzeReport(reportFile: string, report: ImportanceReport, modelFile: string | null, map: TransformerMap | null): ImportanceAnalysis {
  return {
    report,
    model: modelFile ? { file: modelFile, name: path.basename(modelFile), sha256: report.model.sha256 ?? null } : null,
    parent: map ? { shape: parentTargetShape(map.dims), parameters: map.parameterCounts.total } : null,
    presets: map ? shapePresets(map) : [],
    consistency: consistencyOf(report),
    outliers: outlierNeurons(report),
    subcloneRuns: subclonesOfReport(reportFile, modelFile).map((s) => s.run),
    lossScoring: lossScoringOf(report),
  };
}
