import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BlockSearchView, SubcloneRun } from './reportViews';
import type { Provenance } from './provenance';

/** A subclone folder made from an importance report, with its provenance. */
export interface ReportSubclone {
  run: SubcloneRun;
  /** The loss-guided block search apply ran for it (null for other policies). */
  search: BlockSearchView | null;
}

/**
 * The subclones `apply` wrote from a report: folders beside the report and beside its model (where apply writes
 * them by default) whose subclone.json names the report. Unreadable or foreign folders are skipped. Newest first.
 */
export function subclonesOfReport(reportFile: string, modelFile: string | null): ReportSubclone[] {
  const report = path.resolve(reportFile);
  const dirs = new Set([path.dirname(report), ...(modelFile ? [path.dirname(path.resolve(modelFile))] : [])]);
  const found: ReportSubclone[] = [];
  for (const dir of dirs) {
    for (const entry of safeList(dir)) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const folder = path.join(dir, entry.name);
      const p = readProvenance(path.join(folder, 'subclone.json'));
      if (p?.importance?.report && path.resolve(p.importance.report) === report) found.push(fromProvenance(folder, p));
    }
  }
  return found.sort((a, b) => b.run.createdAt.localeCompare(a.run.createdAt));
}

function fromProvenance(folder: string, p: Provenance): ReportSubclone {
  const ffn = Array.isArray(p.shape.ffn) ? p.shape.ffn[0] : p.shape.ffn;
  const shape = { layers: p.shape.layers, dModel: p.shape.dModel, heads: p.shape.heads, kvHeads: p.shape.kvHeads, ffn };
  const v = p.verification;
  const run: SubcloneRun = {
    folder,
    shape,
    blocks: p.kept.blocks,
    parameters: p.parameters,
    createdAt: p.createdAt,
    losses: v ? { parent: v.parent, child: v.child, randomInit: v.randomInit, metric: v.metric } : null,
  };
  const s = p.blockSelection;
  const search: BlockSearchView | null = s.policy === 'loss' && s.candidates.length && s.metric
    ? { shape, chosen: p.kept.blocks, method: s.method === 'greedy' ? 'greedy' : 'exhaustive', metric: s.metric, candidates: s.candidates, source: { kind: 'subclone', folder } }
    : null;
  return { run, search };
}

function safeList(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function readProvenance(file: string): Provenance | null {
  try {
    const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Provenance;
    return p && p.version === 1 && p.kept && p.shape && p.blockSelection ? p : null;
  } catch {
    return null;
  }
}
