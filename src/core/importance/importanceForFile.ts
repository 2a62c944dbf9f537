import * as path from 'node:path';
import { assertWritable } from '../fs/atomicFile';
import { sha256File } from '../fs/sha256';
import { checkpointFile, openCheckpoint } from '../checkpoint/openCheckpoint';
import { recognize } from '../recognize/recognize';
import { computeImportance } from './computeImportance';
import type { ImportanceOptions } from './options';
import type { ImportanceReport } from './report';
import { importanceReportPath, saveImportanceReport } from './reportFile';

export interface ImportanceFileRequest extends ImportanceOptions {
  /** The model file. */
  model: string;
  /** Where to write the report; default `<model name>.importance.json` beside the model (replaced each run). */
  out?: string;
  /** Replace an existing report at `out` (default false; the default location is always replaced). */
  overwrite?: boolean;
}

/**
 * The whole `importance` job on a model file, for the CLI and the worker: read the model, recognise it, compute
 * importance, write the report. Checks the output location before the run, not after.
 */
export async function importanceForFile(req: ImportanceFileRequest): Promise<{ report: ImportanceReport; reportFile: string }> {
  const modelFile = checkpointFile(req.model);
  const reportFile = req.out ? path.resolve(req.out) : importanceReportPath(modelFile);
  const overwrite = req.out ? req.overwrite ?? false : true;
  assertWritable(reportFile, overwrite);
  const model = openCheckpoint(modelFile);
  try {
    const map = await recognize(model, req.signal ? { signal: req.signal } : {});
    const computed = await computeImportance(model, map, req);
    const report = { ...computed, model: { ...computed.model, sha256: sha256File(modelFile) } };
    saveImportanceReport(report, reportFile, overwrite);
    return { report, reportFile };
  } finally {
    model.close();
  }
}
