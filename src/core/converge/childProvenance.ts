import * as fs from 'node:fs';
import * as path from 'node:path';
import { sha256File } from '../fs/sha256';
import type { Dims, TransformerMap } from '../recognize/transformerMap';
import type { Provenance } from '../subclone/provenance';
import type { ConvergenceFile } from './convergenceFile';

/**
 * Where the child came from: its own file and hash, and from the subclone.json beside it (written by `apply`) the
 * parent, the shape, the blocks kept and the verification losses. A model without one (or whose shape differs from
 * the one subclone.json describes) has parent null.
 */
export function childProvenance(child: string, map: TransformerMap): Pick<ConvergenceFile, 'child' | 'parent' | 'subclone'> {
  const own = { file: child, sha256: sha256File(child), family: map.family, dims: map.dims, parameters: map.parameterCounts.total };
  const p = matchingProvenance(child, map.dims);
  if (!p) return { child: own, parent: null, subclone: null };
  const v = p.verification;
  return {
    child: own,
    parent: p.parent,
    subclone: {
      shape: p.shape,
      blocks: p.kept.blocks,
      createdAt: p.createdAt,
      verification: v ? { metric: v.metric, parent: v.parent, child: v.child, randomInit: v.randomInit } : null,
    },
  };
}

/**
 * The subclone.json beside a child, when it describes this model: it describes the folder's model.onnx, so it is
 * trusted for this file only when the shapes agree.
 */
export function matchingProvenance(child: string, dims: Dims): Provenance | undefined {
  const p = readProvenance(path.join(path.dirname(child), 'subclone.json'));
  const same = p && (['layers', 'dModel', 'heads', 'ffn', 'vocab'] as const).every((k) => JSON.stringify(p.dims[k]) === JSON.stringify(dims[k]));
  return same ? p : undefined;
}

function readProvenance(file: string): Provenance | undefined {
  try {
    const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Provenance;
    return p && typeof p.parent?.file === 'string' && Array.isArray(p.kept?.blocks) ? p : undefined;
  } catch {
    return undefined;
  }
}
