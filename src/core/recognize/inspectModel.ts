import { isSubcloneError } from '../errors';
import { openCheckpoint } from '../checkpoint/openCheckpoint';
import { summarizeModel, type ModelSummary } from '../onnx/modelSummary';
import { recognize } from './recognize';
import type { TransformerMap } from './transformerMap';

export interface Inspection {
  summary: ModelSummary;
  /** Null when the model is not a transformer Subclone supports; `unsupported` says why. */
  map: TransformerMap | null;
  unsupported: string | null;
}

/** Reads a model, summarises it and recognises its structure. Unreadable files throw; unsupported ones do not. */
export async function inspectModel(file: string, signal?: AbortSignal): Promise<Inspection> {
  const model = openCheckpoint(file);
  try {
    const summary = summarizeModel(model);
    try {
      return { summary, map: await recognize(model, { signal }), unsupported: null };
    } catch (e) {
      if (isSubcloneError(e, 'Unsupported') || isSubcloneError(e, 'UnsupportedOp')) return { summary, map: null, unsupported: e.message };
      throw e;
    }
  } finally {
    model.close();
  }
}
