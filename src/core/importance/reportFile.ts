import * as fs from 'node:fs';
import * as path from 'node:path';
import { SubcloneError, errorMessage } from '../errors';
import { writeFileAtomic } from '../fs/atomicFile';
import { checkpointStem } from '../checkpoint/openCheckpoint';
import { IMPORTANCE_REPORT_VERSION, type ImportanceReport } from './report';

/**
 * Where a model's importance report lives: `<model name>.importance.json` beside it (model.onnx, or a Hugging Face
 * folder's model.safetensors → model.importance.json).
 */
export function importanceReportPath(modelFile: string): string {
  const abs = path.resolve(modelFile);
  return path.join(path.dirname(abs), `${checkpointStem(abs)}.importance.json`);
}

/** Writes the report atomically. The default location is regenerated on every run; other paths need `overwrite`. */
export function saveImportanceReport(report: ImportanceReport, file: string, overwrite: boolean): void {
  writeFileAtomic(file, `${JSON.stringify(report)}\n`, overwrite);
}

/** Reads a report, checking its version and the fixed keys others rely on. */
export function readImportanceReport(file: string): ImportanceReport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new SubcloneError('MissingData', `cannot read the importance report ${file}: ${errorMessage(e)}`, { cause: e });
  }
  const r = parsed as Partial<ImportanceReport>;
  if (r.version !== IMPORTANCE_REPORT_VERSION) {
    throw new SubcloneError('MissingData', `${file} is an importance report of version ${String(r.version)}; this Subclone reads version ${IMPORTANCE_REPORT_VERSION}: compute importance again`);
  }
  const missing = [
    !Array.isArray(r.embedding?.ranking) && 'embedding.ranking',
    !Array.isArray(r.embedding?.perLayer) && 'embedding.perLayer',
    !Array.isArray(r.ffn) && 'ffn',
    !Array.isArray(r.heads) && 'heads',
    !Array.isArray(r.kvGroups) && 'kvGroups',
    !Array.isArray(r.blocks?.relativeMagnitude) && 'blocks.relativeMagnitude',
    !r.calibration && 'calibration',
  ].filter(Boolean);
  if (missing.length) throw new SubcloneError('MissingData', `${file} lacks ${missing.join(', ')}`);
  return r as ImportanceReport;
}
