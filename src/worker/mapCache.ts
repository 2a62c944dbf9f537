import * as fs from 'node:fs';
import * as path from 'node:path';
import { OnnxModel } from '../core/onnx/onnxModel';
import { recognize } from '../core/recognize/recognize';
import type { TransformerMap } from '../core/recognize/transformerMap';

const cache = new Map<string, { stamp: string; map: Promise<TransformerMap> }>();

/** The recognised map of a model file, kept while the file does not change (shape checks ask for it often). */
export function mapOf(file: string, signal?: AbortSignal): Promise<TransformerMap> {
  const abs = path.resolve(file);
  const st = fs.statSync(abs);
  const stamp = `${st.size}:${st.mtimeMs}`;
  const hit = cache.get(abs);
  if (hit && hit.stamp === stamp) return hit.map;
  const map = (async () => {
    const model = OnnxModel.load(abs);
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
