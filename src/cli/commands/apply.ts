import * as fs from 'node:fs';
import * as path from 'node:path';
import { INDEX_FILE_NAME } from '../../core/safetensors/shards';
import { SubcloneError } from '../../core/errors';
import { openCheckpoint } from '../../core/checkpoint/openCheckpoint';
import { recognize } from '../../core/recognize/recognize';
import type { TransformerMap } from '../../core/recognize/transformerMap';
import { checkBlockRange, parseBlockSpec } from '../../core/subclone/blockPolicy';
import { budgetParameters, parseBudget } from '../../core/subclone/budgetSearch';
import { subclone } from '../../core/subclone/subclone';
import { describeShape } from '../../protocol/shapes';
import type { SubcloneShape } from '../../core/subclone/shape';
import type { Provenance } from '../../core/subclone/provenance';
import type { Command, ParsedArgs } from '../command';
import { formatCount } from '../format';
import { intOption, providerOption, requireModelPath, stringOption } from '../args';

export const applyCommand: Command = {
  name: 'apply',
  summary: 'subclone a model to a smaller shape and write <model>-subclone-<shape>/ beside it',
  usage:
    'subclone apply <model.onnx|hf-folder> (--layers l --dim d [--heads h] [--kv-heads k] [--ffn f|f1,f2,…] | --params N|P% [--candidates K]) ' +
    '[--data file|folder | --random] [--samples n] [--verify-samples n] [--report importance.json] [--blocks loss|magnitude|first|middle|i,j,…] [--no-scale] [--format both|onnx|hf] [--out dir] [--force] ' +
    '[--provider auto|cuda|cpu] [--seed n] [--json]\n\n' +
    '--samples sets the calibration sequences (default 64 of text), --verify-samples the held-out sequences the parent, the\n' +
    'subclone and a random init are compared on (default 64); on a large model on the CPU, fewer of each is quicker.\n\n' +
    '--params fits a parameter budget (a count such as 700K or 1.2M, or a percentage of the parent): the uniform shapes that fit are\n' +
    'screened by the importance they keep, the K most promising (default 6) are scored by calibration loss with loss-guided\n' +
    'blocks, the table is printed and the best is written. It needs calibration data.\n\n' +
    '--format: the folder holds model.onnx and, for GPT-2, GPT-NeoX, BERT / RoBERTa, ViT / DeiT and LLaMA / Mistral / Qwen2\n' +
    'parents with a config.json, a Hugging Face checkpoint (model.safetensors + config.json, loadable with from_pretrained);\n' +
    'default both. A shape the family\'s config cannot state (per-block FFN widths, say) is written as ONNX only, and\n' +
    '--format hf refuses it before any work.\n\n' +
    'The model is an .onnx file or a Hugging Face folder (config.json + model.safetensors or shards); the subclone is written\n' +
    'inside that folder unless --out says otherwise.',
  options: {
    layers: { type: 'string' },
    dim: { type: 'string' },
    heads: { type: 'string' },
    'kv-heads': { type: 'string' },
    ffn: { type: 'string' },
    data: { type: 'string' },
    random: { type: 'boolean' },
    report: { type: 'string' },
    blocks: { type: 'string' },
    'no-scale': { type: 'boolean' },
    format: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
    provider: { type: 'string' },
    seed: { type: 'string' },
    samples: { type: 'string' },
    'verify-samples': { type: 'string' },
    params: { type: 'string' },
    candidates: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, ctx) {
    const file = requireModelPath(args);
    // Argument combinations are checked before the model is read.
    const budgetText = stringOption(args, 'params');
    const budgetAsked = budgetText === undefined ? undefined : parseBudget(budgetText);
    const shapeFlags = ['layers', 'dim', 'heads', 'kv-heads', 'ffn'].filter((f) => args.values[f] !== undefined);
    if (budgetText !== undefined && shapeFlags.length) throw new SubcloneError('BadArgument', `--params searches the shape; leave out --${shapeFlags.join(', --')}`);
    if (budgetText === undefined && args.values.candidates !== undefined) throw new SubcloneError('BadArgument', '--candidates goes with --params');
    const candidates = intOption(args, 'candidates');
    if (candidates !== undefined && candidates < 1) throw new SubcloneError('BadArgument', `--candidates must be at least 1, got ${candidates}`);
    if (args.values.random && args.values.data) throw new SubcloneError('BadArgument', 'pass either --data or --random, not both');
    const data = stringOption(args, 'data') ?? (args.values.random ? 'random' : null);
    if (budgetText !== undefined && data === null) throw new SubcloneError('BadArgument', '--params scores shapes by calibration loss: pass --data (or --random as a fallback)');
    const flags = shapeFlags.length ? parseShapeFlags(args) : {};
    const blocks = args.values.blocks ? parseBlockSpec(stringOption(args, 'blocks')!) : undefined;
    if (blocks?.kind === 'list' && flags.layers !== undefined && blocks.blocks.length !== flags.layers) {
      throw new SubcloneError('BadArgument', `--blocks lists ${blocks.blocks.length} blocks but --layers is ${flags.layers}`);
    }
    const format = stringOption(args, 'format') ?? 'both';
    if (format !== 'both' && format !== 'onnx' && format !== 'hf') throw new SubcloneError('BadArgument', `--format must be both, onnx or hf, not ${format}`);
    const seed = intOption(args, 'seed') ?? 0;
    const samples = positiveOption(args, 'samples');
    const verifySamples = positiveOption(args, 'verify-samples');
    if (verifySamples !== undefined && data === null) throw new SubcloneError('BadArgument', '--verify-samples verifies on calibration data: pass --data (or --random)');
    for (const [flag, p] of [['data', data === 'random' ? null : data], ['report', stringOption(args, 'report') ?? null]] as const) {
      if (p !== null && !fs.existsSync(p)) throw new SubcloneError('MissingData', `--${flag} ${p} does not exist`);
    }
    const model = openCheckpoint(file);
    let map: TransformerMap;
    try {
      map = await recognize(model, { signal: ctx.signal });
    } finally {
      model.close();
    }
    if (blocks) checkBlockRange(blocks, map.dims.layers);
    const budget = budgetAsked === undefined ? undefined : budgetParameters(budgetAsked, map.parameterCounts.total);
    // A list of blocks without --layers keeps that many.
    const layers = flags.layers ?? (blocks?.kind === 'list' ? blocks.blocks.length : undefined);
    const shape = budget === undefined ? shapeFromFlags({ ...flags, ...(layers !== undefined ? { layers } : {}) }, map) : undefined;
    if (data === null && !args.values.report) ctx.err('no --data: selecting from weight magnitudes (data-free); the result is not verified on data');
    if (data === 'random') ctx.err('--random: calibrating on random inputs (an explicit fallback; scores are weaker than with real data)');
    const provider = providerOption(args);
    let last = -1;
    const result = await subclone(file, {
      map,
      ...(shape ? { shape } : {}),
      ...(budget !== undefined ? { budget, ...(candidates ? { candidates } : {}) } : {}),
      data,
      ...(args.values.report ? { report: stringOption(args, 'report')! } : {}),
      ...(blocks ? { blocks } : {}),
      scale: !args.values['no-scale'],
      format,
      ...(args.values.out ? { outDir: stringOption(args, 'out')! } : {}),
      overwrite: !!args.values.force,
      provider,
      seed,
      ...(samples ? { samples } : {}),
      ...(verifySamples ? { verifySamples } : {}),
      signal: ctx.signal,
      onNotice: (m) => ctx.err(m),
      onProgress: (f, m) => {
        const pct = Math.floor(f * 100);
        if (pct !== last) ctx.err(`[${String(pct).padStart(3)}%] ${m}`);
        last = pct;
      },
    });
    const p = result.provenance;
    if (args.values.json) {
      ctx.out(JSON.stringify({ outDir: result.outDir, modelFile: result.modelFile, ...p }, null, 2));
      return 0;
    }
    if (p.budgetSearch) for (const line of budgetTable(p.budgetSearch, p.parent.parameters)) ctx.out(line);
    ctx.out(`wrote ${result.outDir}`);
    const hf = p.output?.hf;
    const sharded = fs.existsSync(path.join(result.outDir, INDEX_FILE_NAME));
    if (hf && 'modelType' in hf) ctx.out(`  ${p.output?.onnx ? 'model.onnx and ' : ''}a Hugging Face ${hf.modelType} checkpoint (${sharded ? `${INDEX_FILE_NAME} and its shards` : 'model.safetensors'}, config.json)`);
    ctx.out(`  kept blocks [${p.kept.blocks.join(', ')}] of ${map.dims.layers} (${p.blockSelection.policy}${p.blockSelection.method ? `, ${p.blockSelection.candidates.length} candidates ${p.blockSelection.method}` : ''})`);
    const s = p.shape;
    ctx.out(`  kept ${p.kept.embedding.length} of ${map.dims.dModel} embedding neurons; heads ${s.heads}${s.kvHeads !== s.heads ? ` (${s.kvHeads} KV)` : ''} of ${map.dims.heads}; FFN ${Array.isArray(s.ffn) ? s.ffn.join('/') : s.ffn} of ${Array.isArray(map.dims.ffn) ? map.dims.ffn.join('/') : map.dims.ffn}`);
    ctx.out(`  parameters ${formatCount(p.parent.parameters)} → ${formatCount(p.parameters)} (${((100 * p.parameters) / p.parent.parameters).toFixed(1)}%)`);
    ctx.out(`  importance: ${p.importance.calibration.source}${p.importance.calibration.fallback ? ' (fallback: not real data)' : ''}, ${p.importance.calibration.tokens} tokens`);
    if (p.verification) {
      const v = p.verification;
      const on = v.data === 'held-out' ? 'held-out' : 'calibration';
      ctx.out(`  ${on} ${v.metric}: parent ${v.parent.toFixed(3)}, subclone ${v.child.toFixed(3)}, random init ${v.randomInit.toFixed(3)} (${v.count} ${v.metric.includes('token') ? 'tokens' : 'positions'})`);
    } else {
      ctx.out('  not verified (no calibration data)');
    }
    return 0;
  },
};

/** The budget search's candidates, best first (the first is the one written). */
function budgetTable(b: NonNullable<Provenance['budgetSearch']>, parentParameters: number): string[] {
  const lines = [
    `budget ${formatCount(b.budget)} parameters (${((100 * b.budget) / parentParameters).toFixed(1)}% of the parent): ${b.enumerated} valid shapes fit, the ${b.scored} most promising scored by ${b.metric}`,
    '  #  shape                                        parameters        blocks                loss',
  ];
  b.candidates.forEach((c, i) => {
    const params = `${formatCount(c.parameters)} (${(100 * c.fraction).toFixed(1)}%)`;
    lines.push(`${String(i + 1).padStart(3)}  ${describeShape(c.shape).padEnd(43)}  ${params.padEnd(16)}  ${`[${c.blocks.join(', ')}]`.padEnd(20)}  ${c.loss.toFixed(4)}${i === 0 ? '  ← written' : ''}`);
  });
  return lines;
}

/** The shape flags as given, each checked before the model is read. */
interface ShapeFlags {
  layers?: number;
  dModel?: number;
  heads?: number;
  kvHeads?: number;
  ffn?: number | number[];
}

function parseShapeFlags(args: ParsedArgs): ShapeFlags {
  const out: ShapeFlags = {};
  const set = (key: 'layers' | 'dModel' | 'heads' | 'kvHeads', flag: string) => {
    const n = positiveOption(args, flag);
    if (n !== undefined) out[key] = n;
  };
  set('layers', 'layers');
  set('dModel', 'dim');
  set('heads', 'heads');
  set('kvHeads', 'kv-heads');
  const ffnText = stringOption(args, 'ffn');
  if (ffnText !== undefined) {
    const parts = ffnText.split(',').map((x) => x.trim());
    const bad = parts.find((x) => !/^\d+$/.test(x) || Number(x) < 1);
    if (bad !== undefined) throw new SubcloneError('BadArgument', `--ffn takes whole numbers ≥ 1 (one, or one per kept block), got ${JSON.stringify(bad)}`);
    out.ffn = parts.length === 1 ? Number(parts[0]) : parts.map(Number);
  }
  return out;
}

function positiveOption(args: ParsedArgs, flag: string): number | undefined {
  const n = intOption(args, flag);
  if (n !== undefined && n < 1) throw new SubcloneError('BadArgument', `--${flag} must be a whole number ≥ 1, got ${n}`);
  return n;
}

/** The destination shape from the flags; heads follow the width at the parent's head_dim unless given. */
function shapeFromFlags(f: ShapeFlags, map: TransformerMap): SubcloneShape {
  const d = map.dims;
  const layers = f.layers ?? d.layers;
  const dModel = f.dModel ?? d.dModel;
  const heads = f.heads ?? Math.max(1, Math.round(dModel / d.headDim));
  const ratio = d.heads / d.kvHeads;
  const kvHeads = f.kvHeads ?? (d.kvHeads === d.heads ? heads : Math.max(1, Math.round(heads / ratio)));
  const parentFfn = Array.isArray(d.ffn) ? Math.max(...d.ffn) : d.ffn;
  const ffn = f.ffn ?? Math.max(1, Math.round((parentFfn * dModel) / d.dModel));
  return { layers, dModel, heads, kvHeads, ffn };
}
