import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkpointFile, openCheckpoint } from '../core/checkpoint/openCheckpoint';
import { recognize } from '../core/recognize/recognize';
import type { TransformerMap } from '../core/recognize/transformerMap';
import { isSafetensorsWeights } from '../core/safetensors/shards';

const cache = new Map<string, { stamp: string; map: Promise<TransformerMap> }>();

/** The recognised map of a model file, kept while the file does not change (shape checks ask for it often). */
export function mapOf(file: string, signal?: AbortSignal): Promise<TransformerMap> {
  const abs = checkpointFile(file);
  // A Hugging Face checkpoint is also its config.json.
  const hf = isSafetensorsWeights(abs);
  const stamp = [abs, ...(hf ? [path.join(path.dirname(abs), 'config.json')] : [])].map((f) => {
    const st = fs.statSync(f);
    return `${st.size}:${st.mtimeMs}`;
  }).join('|');
  const hit = cache.get(abs);
  if (hit && hit.stamp === stamp) return hit.map;
  const map = (async () => {
    const model = openCheckpoint(abs);
    try {
      return await recognize(model, { signal });
    } finally {
      model.close();
    }
  })();
  map.catch(() => cache.delete(abs));
  cache.set(abs, { stamp, map });
  return map;
}
