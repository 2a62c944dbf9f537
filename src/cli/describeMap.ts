import type { TransformerMap } from '../core/recognize/transformerMap';
import { polyToString } from '../core/coupling/poly';
import { formatShape } from '../core/onnx/valueInfo';
import { formatCount, table } from './format';

const FAMILY: Record<TransformerMap['family'], string> = {
  gpt2: 'GPT-2-style decoder',
  'gpt-neox': 'GPT-NeoX-style decoder',
  bert: 'BERT-style encoder',
  vit: 'ViT-style image encoder',
  llama: 'LLaMA-style decoder',
};

const ACTIVATION: Record<string, string> = {
  gelu_erf: 'GELU (erf)',
  gelu_tanh: 'GELU (tanh)',
  gelu_sigmoid: 'GELU (sigmoid)',
  silu: 'SiLU',
  relu: 'ReLU',
};

/** The human-readable `subclone inspect` report of a recognised transformer. */
export function describeMap(map: TransformerMap): string[] {
  const f = map.flavour;
  const d = map.dims;
  const lines: string[] = [];
  const variant = map.variant ? ` (${map.variant})` : '';
  lines.push(`${FAMILY[map.family]}${variant}`);
  const scheme = [
    `${f.normPlacement}-norm`,
    `${f.norm === 'rmsnorm' ? 'RMSNorm' : 'LayerNorm'} (${f.normForm})`,
    `${f.gatedMlp ? 'gated ' : ''}${ACTIVATION[f.activation]}`,
    `${f.position === 'rotary' ? 'rotary' : f.position === 'learned' ? 'learned' : 'no'} positions${f.tokenTypes ? ' + token types' : ''}`,
    f.fusedQkv ? 'fused QKV' : 'separate Q/K/V',
    ...(f.parallelResidual ? ['parallel residual'] : []),
    f.biases ? 'biases' : 'no biases',
    f.head === 'lm' ? `LM head (${f.tiedHead ? 'tied to the token embedding' : 'untied'})` : f.head === 'classifier' ? 'classifier head' : f.head === 'pooler' ? 'pooler' : 'no head',
    ...(f.kvCache ? ['KV cache inputs/outputs'] : []),
  ];
  lines.push(`  ${scheme.join(', ')}`);
  const ffn = Array.isArray(d.ffn) ? `[${d.ffn.join(', ')}]` : String(d.ffn);
  lines.push(
    `  layers ${d.layers} · d_model ${d.dModel} · heads ${d.heads} (KV ${d.kvHeads}) · head_dim ${d.headDim} · ffn ${ffn} · ` +
      `vocab ${d.vocab ?? '—'} · context ${d.context ?? 'unbounded'}`,
  );
  const c = map.parameterCounts;
  const parts = (['embedding', 'attention', 'mlp', 'norm', 'head', 'pooler'] as const).filter((k) => c[k] > 0).map((k) => `${k} ${formatCount(c[k])}`);
  lines.push(`  parameters ${formatCount(c.total)}: ${parts.join(', ')}${f.tiedHead ? ' (tied head counted once)' : ''}${c.other ? `; buffers ${formatCount(c.other)}` : ''}`);
  lines.push('');
  lines.push(
    table([
      ...map.inputs.map((v) => ['  input', v.name, v.dtype, formatShape(v.shape)]),
      ...map.outputs.map((v) => ['  output', v.name, v.dtype, formatShape(v.shape)]),
    ]),
  );
  lines.push('');
  const byKind = (kind: string) => map.groups.filter((g) => g.kind === kind);
  const dGroup = map.groups.find((g) => g.id === 'D');
  lines.push(`  coupling: D ${dGroup?.size} in ${dGroup?.members.length} tensors and ${dGroup?.constants.length} constants` +
    `; per block ${byKind('ffn').length} FFN, ${byKind('heads').length} head and ${byKind('kvGroups').length} KV-group dimensions ` +
    `(${map.groups.reduce((n, g) => n + g.constants.length, 0)} baked constants to rewrite in all)`);
  const shown = new Set<string>();
  for (const k of map.constraints) {
    const pattern = `${polyToString(k.left)} = ${polyToString(k.right)}`.replace(/\d+(?=\b|$)/g, (m, offset, all) => (/[A-Z]$/.test(all.slice(0, offset)) ? 'ᵢ' : m));
    if (shown.has(pattern)) continue;
    shown.add(pattern);
    const more = map.constraints.length - 1;
    lines.push(`  constraint: ${polyToString(k.left)} = ${polyToString(k.right)}${more ? ` and ${more} more like it` : ''} — the graph computes one from the other (${k.node})`);
  }
  for (const w of map.warnings) lines.push(`  warning: ${w}`);
  return lines;
}
