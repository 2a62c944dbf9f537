import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeShape } from '../subclone/targetShape';
import { checkpointFile, openCheckpoint } from '../checkpoint/openCheckpoint';
import { recognize } from '../recognize/recognize';
import type { Dims } from '../recognize/transformerMap';
import { trainingTargetFromMap } from '../train/target';
import { matchingProvenance } from './childProvenance';
import { CONVERGENCE_FILE, readConvergenceFile, type ConvergenceFile } from './convergenceFile';
import { defaultOutDir } from './runConvergence';
import { untrainableReason } from './sweepData';

/** The child model and where it came from (its subclone.json), for the Setup cell's header. */
export interface ChildSummary {
  file: string;
  /** E.g. "3 layers × 96 · 3 heads · FFN 384"; null when the model was not recognised. */
  shape: string | null;
  parameters: number | null;
  /** The parent it was subcloned from; null when the folder has no subclone.json for this model. */
  parent: { file: string; shape: string; parameters: number } | null;
}

/** What the convergence panel's Setup cell starts from, read before anything trains. */
export interface ConvergenceSetup {
  child: ChildSummary;
  /** Why the trainer cannot train this model on the data it needs; null when it can. */
  untrainable: string | null;
  /** The data the child was calibrated on (subclone.json), when it still exists: the natural data to train on. */
  data: string | null;
  /** The saved sweep in <child folder>/convergence/, or null; `problem` says why a file there could not be read. */
  saved: { file: string; content: ConvergenceFile } | null;
  savedProblem: string | null;
}

/**
 * Reads and recognises the child, its subclone.json and an earlier sweep's convergence.json. The untrainable
 * check assumes the data kind the model asks for (text for language models, an image folder for classifiers), so
 * an encoder without a head is named before the user picks any data.
 */
export async function convergenceSetup(childFile: string, signal?: AbortSignal): Promise<ConvergenceSetup> {
  const child = checkpointFile(childFile);
  const model = openCheckpoint(child);
  let summary: ChildSummary;
  let untrainable: string | null;
  try {
    const map = await recognize(model, signal ? { signal } : {});
    const target = trainingTargetFromMap(map);
    untrainable = untrainableReason(target, target.kind === 'classifier' && !!target.inputs.pixels, path.basename(child));
    const provenance = matchingProvenance(child, map.dims);
    summary = {
      file: child,
      shape: shapeOf(map.dims),
      parameters: map.parameterCounts.total,
      parent: provenance ? { file: provenance.parent.file, shape: shapeOf(provenance.parent.dims), parameters: provenance.parent.parameters } : null,
    };
    const data = provenance?.options.data;
    const saved = readSaved(child);
    return { child: summary, untrainable, data: data && data !== 'random' && fs.existsSync(data) ? data : null, ...saved };
  } finally {
    model.close();
  }
}

function shapeOf(d: Dims): string {
  const ffn = Array.isArray(d.ffn) ? Math.max(...d.ffn) : d.ffn;
  const shape = describeShape({ layers: d.layers, dModel: d.dModel, heads: d.heads, kvHeads: d.kvHeads, ffn });
  return Array.isArray(d.ffn) ? `${shape} (per-block FFN ${d.ffn.join(', ')})` : shape;
}

function readSaved(child: string): Pick<ConvergenceSetup, 'saved' | 'savedProblem'> {
  const file = path.join(defaultOutDir(child), CONVERGENCE_FILE);
  if (!fs.existsSync(file)) return { saved: null, savedProblem: null };
  try {
    return { saved: { file, content: readConvergenceFile(file) }, savedProblem: null };
  } catch (e) {
    return { saved: null, savedProblem: (e as Error).message };
  }
}
