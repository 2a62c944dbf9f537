/**
 * The destination's Hugging Face config.json: the parent's, with the size keys the family uses set to the new
 * values (whichever of the common spellings the parent has), and a note of where it came from.
 */
export interface ConfigSizes {
  layers: number;
  dModel: number;
  heads: number;
  kvHeads: number;
  ffn: number[];
  headDim: number;
}

const KEYS: [keyof ConfigSizes, string[]][] = [
  ['layers', ['n_layer', 'num_hidden_layers', 'num_layers']],
  ['dModel', ['n_embd', 'hidden_size', 'd_model']],
  ['heads', ['n_head', 'num_attention_heads']],
  ['kvHeads', ['num_key_value_heads', 'n_kv_head']],
  ['headDim', ['head_dim']],
];

export function subclonedConfig(parent: Record<string, unknown>, sizes: ConfigSizes): Record<string, unknown> {
  const out: Record<string, unknown> = { ...parent };
  for (const [key, names] of KEYS) for (const n of names) if (n in out) out[n] = sizes[key];
  const ffn = Math.max(...sizes.ffn);
  for (const n of ['n_inner', 'intermediate_size', 'ffn_dim', 'd_ff']) if (n in out && out[n] !== null) out[n] = ffn;
  if ('n_inner' in out && out.n_inner === null) out.n_inner = ffn;
  if (!sizes.ffn.every((f) => f === ffn)) out.subclone_intermediate_sizes = sizes.ffn;
  return out;
}
