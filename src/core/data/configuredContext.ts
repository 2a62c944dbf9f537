import * as fs from 'node:fs';
import * as path from 'node:path';

/** The config.json fields that hold a model's maximum positions, by family (GPT-2's n_positions, LLaMA's max_position_embeddings, …). */
const CONTEXT_FIELDS = ['max_position_embeddings', 'n_positions', 'n_ctx', 'max_seq_len', 'seq_length'];

/**
 * The context length the config.json beside a model declares, or null. For models whose graph bakes no limit
 * (rotary positions), this is what they were trained at: calibrating on longer windows measures extrapolation.
 */
export function configuredContext(modelFile: string): number | null {
  try {
    const config = JSON.parse(fs.readFileSync(path.join(path.dirname(path.resolve(modelFile)), 'config.json'), 'utf8')) as Record<string, unknown>;
    for (const field of CONTEXT_FIELDS) {
      const v = config[field];
      if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
    }
  } catch {
    // no config.json, or not JSON: the graph's own limit (or the default) decides
  }
  return null;
}
