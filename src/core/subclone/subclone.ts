import * as path from 'node:path';
import { SubcloneError, abortPoint } from '../errors';
import { computeImportance } from '../importance/computeImportance';
import type { ImportanceReport } from '../importance/report';
import { readImportanceReport } from '../importance/reportFile';
import type { CalibrationRequest } from '../importance/options';
import { checkpointFile, openCheckpoint } from '../checkpoint/openCheckpoint';
import { writeModel } from '../onnx/writeModel';
import { writeFileAtomic } from '../fs/atomicFile';
import { analyzeModel } from '../recognize/recognize';
import type { TransformerMap } from '../recognize/transformerMap';
import type { ProviderPreference } from '../runtime/executionProvider';
import type { LossProbe } from '../eval/lossProbe';
import { sha256File } from '../fs/sha256';
import { randomInit } from '../train/randomInit';
import { trainingTargetFromMap } from '../train/target';
import { ruleBlocks, type BlockPolicy } from './blockPolicy';
import type { BlockSearchResult } from './blockSearch';
import { DEFAULT_EVAL_SAMPLES, scoringProbe, searchBlocksForShape } from './blockScoring';
import { fitBudget } from './budgetSearch';
import { subclonedConfig } from '../hf/hfConfig';
import { hfBlocksProblem, hfPlan, writeHfCheckpoint, type ChildSizes, type HfPlan } from '../hf/hfCheckpoint';
import { SINGLE_FILE_NAME } from '../safetensors/shards';
import { copyCompanions, defaultOutputDir, checkOutputDir, writeFolderAtomically } from './outputFolder';
import type { Provenance } from './provenance';
import { assertShape, countShapeParameters, ffnPerBlock, shapeLabel, type SubcloneShape } from './shape';
import { buildChild } from './surgery';
import { StagedModels } from './stagedModels';
import { parentConfigOf } from '../hf/parentConfig';
import { collectGarbage } from '../runtime/collectGarbage';
import { selectWidths } from './widthSelection';

/** What `apply` writes: the ONNX graph, the Hugging Face checkpoint (model.safetensors + config.json), or both. */
export type OutputFormat = 'onnx' | 'hf' | 'both';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['both', 'onnx', 'hf'];
export const DEFAULT_OUTPUT_FORMAT: OutputFormat = 'both';

export interface SubcloneOptions {
  /** Default 'both'; a shape the family's HF config cannot state is written as ONNX only, with a notice. */
  format?: OutputFormat;
  /** The most bytes in one model.safetensors shard (default 5 GB, as save_pretrained); above it, an index and shards. */
  maxShardBytes?: number;
  /** The destination shape; or, with `budget`, found by the budget search. */
  shape?: SubcloneShape;
  /** A parameter budget: search the uniform shapes that fit it, score the most promising by loss, subclone the best. */
  budget?: number;
  /** Shapes the budget search scores by loss (default 6). */
  candidates?: number;
  /** The parent's map, recognised by the caller from this same file (it is not recognised again). */
  map?: TransformerMap;
  /** The loss-guided block search already run for exactly this shape, data and seed (skips running it again). */
  blockSearch?: BlockSearchResult;
  /** Calibration data (text file or image folder), 'random' for random inputs, or null for data-free selection. */
  data: string | 'random' | null;
  /** An importance report to select from instead of computing one. */
  report?: string;
  blocks?: BlockPolicy;
  /** Rescale weights whose fan-in shrank (default true). */
  scale?: boolean;
  outDir?: string;
  overwrite?: boolean;
  provider?: ProviderPreference;
  seed?: number;
  /** Calibration samples for importance (default: the importance engine's). */
  samples?: number;
  /** Sequences (or images) scoring block candidates (default 16). */
  evalSamples?: number;
  /** Held-out sequences verifying the result (default 64). */
  verifySamples?: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
  onNotice?: (message: string) => void;
}

export interface SubcloneResult {
  outDir: string;
  modelFile: string;
  provenance: Provenance;
}

declare const __SUBCLONE_VERSION__: string | undefined;
const TOOL = `subclone ${typeof __SUBCLONE_VERSION__ === 'string' ? __SUBCLONE_VERSION__ : 'dev'}`;

/**
 * Subclones a parent model to a destination shape and writes `<parent>-subclone-<shape>/` beside it: model.onnx,
 * config.json, the tokenizer/processor files, and subclone.json. Shape and output folder are checked before any
 * work; the folder appears only when everything succeeded.
 */
export async function subclone(file: string, o: SubcloneOptions): Promise<SubcloneResult> {
  let reached = 0;
  // Stages report their own fractions; the overall one never goes back.
  const progress = (f: number, m: string) => o.onProgress?.((reached = Math.max(reached, f)), m);
  checkRequest(o);
  // An HF folder is named by its weights file, so what is derived from the parent's path lands inside the folder.
  file = checkpointFile(file);
  const parent = openCheckpoint(file);
  const probes: LossProbe[] = [];
  let staged: StagedModels | null = null;
  try {
    progress(0.02, 'recognising the model');
    const map = o.map ?? (await analyzeModel(parent, { signal: o.signal })).map;
    const format = o.format ?? DEFAULT_OUTPUT_FORMAT;
    const parentConfig = parentConfigOf(file);
    const hfFor = (s: SubcloneShape): HfPlan | null => (format === 'onnx' ? null : hfPlan(map, childSizes(map, s), parentConfig));
    if (o.shape) checkHf(hfFor(o.shape), format, o.onNotice);
    if (o.shape) assertShape(map, o.shape);
    if (o.budget !== undefined && o.budget >= map.parameterCounts.total) {
      throw new SubcloneError('BadArgument', `the budget of ${o.budget} parameters is not smaller than the parent (${map.parameterCounts.total})`);
    }
    const outDirFor = (shape: SubcloneShape) => path.resolve(o.outDir ?? defaultOutputDir(file, shapeLabel(shape)));
    if (o.shape || o.outDir) checkOutputDir(path.resolve(o.outDir ?? outDirFor(o.shape!)), o.overwrite ?? false);
    const dataRequest: CalibrationRequest = o.data === null ? { kind: 'weights' } : o.data === 'random' ? { kind: 'random' } : { kind: 'path', path: o.data };

    await abortPoint(o.signal);
    progress(0.05, 'measuring neuron importance');
    const report = o.report ? readReport(o.report, map) : await computeImportance(parent, map, {
      data: dataRequest,
      ...(o.samples ? { samples: o.samples } : {}),
      provider: o.provider ?? 'auto',
      seed: o.seed ?? 0,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.onNotice ? { onNotice: o.onNotice } : {}),
      // Reading the data is the first sixth of this stage, the calibration or weight passes the rest.
      onProgress: (p) => progress(p.stage === 'data' ? 0.05 + 0.04 * (p.done / Math.max(1, p.total)) : 0.09 + 0.21 * (p.done / Math.max(1, p.total)), p.message),
    });
    await abortPoint(o.signal);
    const scores = { embeddingRanking: report.embedding.ranking, ffn: report.ffn, heads: report.heads, kvGroups: report.kvGroups };

    // Candidates are scored on calibration text; the result is verified on the held-out split (text) or the same
    // calibration images (image folders have no split).
    let probe: LossProbe | undefined;
    let heldOut: LossProbe | undefined;
    if (dataRequest.kind !== 'weights') {
      progress(0.32, 'preparing the calibration loss');
      const probeOptions = { provider: o.provider ?? 'auto', seed: o.seed ?? 0, ...(o.signal ? { signal: o.signal } : {}) };
      probe = await scoringProbe(file, parent, map, dataRequest, o.evalSamples ?? DEFAULT_EVAL_SAMPLES, probeOptions);
      probes.push(probe);
      heldOut = dataRequest.kind === 'path' && map.dims.vocab !== null ? await scoringProbe(file, parent, map, { ...dataRequest, split: 'validation' }, o.verifySamples ?? 64, probeOptions) : probe;
      if (heldOut !== probe) probes.push(heldOut);
    }

    let shape = o.shape;
    let search: BlockSearchResult | null = null;
    let budgetSearch: Provenance['budgetSearch'] = null;
    if (o.budget !== undefined) {
      progress(0.35, `fitting ${o.budget} parameters`);
      const fit = await fitBudget(parent, map, report, probe!, o.budget, {
        ...(o.candidates ? { candidates: o.candidates } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
        onProgress: (done, total, message) => progress(0.35 + 0.35 * (done / Math.max(1, total)), message),
      });
      budgetSearch = fit.result;
      shape = fit.result.candidates[0].shape;
      search = fit.searches[0];
      checkOutputDir(outDirFor(fit.result.candidates[0].shape), o.overwrite ?? false);
    }
    if (!shape) throw new SubcloneError('BadArgument', 'give a destination shape or a parameter budget');
    const policy: BlockPolicy = o.blocks ?? (dataRequest.kind === 'path' || budgetSearch ? { kind: 'loss' } : { kind: 'first' });
    const outDir = outDirFor(shape);

    let blocks: number[];
    if (policy.kind === 'loss') {
      if (!probe) throw new SubcloneError('BadArgument', 'loss-guided block selection needs calibration data; pass data or choose --blocks first|middle|magnitude|<list>');
      progress(0.35, 'choosing blocks by calibration loss');
      const layers = shape.layers;
      search ??= o.blockSearch ?? await searchBlocksForShape(parent, map, shape, scores, probe, {
        ...(o.signal ? { signal: o.signal } : {}),
        onProgress: (done, total, best) => progress(0.35 + 0.35 * (done / total), `block candidate ${done}/${total}${best ? ` (best ${best.loss.toFixed(3)} with [${best.blocks.join(', ')}])` : ''}`),
      });
      if (search.chosen.length !== layers) throw new SubcloneError('BadArgument', `the block search given keeps ${search.chosen.length} blocks; the shape has ${layers}`);
      blocks = search.chosen;
    } else {
      const magnitudes = report.blocks.relativeMagnitude.length ? report.blocks.relativeMagnitude : undefined; // empty when data-free
      blocks = ruleBlocks(policy, map.dims.layers, shape.layers, magnitudes);
    }
    assertShape(map, shape, blocks);

    // The parent is scored before the child exists, and the random init after the child's loss: the models held in
    // memory beside each onnxruntime session are only the ones it needs. (Building the child leaves memory the
    // allocator keeps, measured at 50–100 MiB on the 400 MB GPT-2: after the parent's session, not beside it.)
    let parentLoss: number | undefined;
    if (heldOut) {
      progress(0.72, 'verifying: the parent\'s loss');
      parentLoss = await heldOut.loss(parent, undefined, o.signal);
    }
    progress(0.76, 'building the subclone');
    const keep = selectWidths(map, shape, scores, blocks);
    // Verified, the subclone (and below its random init) is staged in a temporary file: each loss session maps the
    // weights from there, and what JavaScript built to write it is collected at once, not left beside the session.
    if (heldOut) staged = new StagedModels();
    const child = stagedChild(buildChild(parent, map, { blocks, keep }, { scale: o.scale ?? true }), staged, o.signal);
    if (staged) collectGarbage();
    await abortPoint(o.signal);

    let verification: Provenance['verification'] = null;
    if (heldOut && parentLoss !== undefined) {
      progress(0.8, 'verifying: subclone and random-init losses');
      const childLoss = await heldOut.loss(child.model, keep.D, o.signal);
      const target = trainingTargetFromMap(map);
      const childNames = new Set(child.model.graph.initializer.map((t) => t.name));
      const randomTarget = { ...target, layers: blocks.length, params: target.params.filter((p) => childNames.has(p.name) && (!p.copyOf || childNames.has(p.copyOf))) };
      const random = staged ? staged.randomInit(child.model, randomTarget, o.seed ?? 0) : randomInit(child.model, randomTarget, o.seed ?? 0);
      verification = {
        metric: heldOut.metric,
        data: heldOut === probe ? 'calibration' : 'held-out',
        parent: parentLoss,
        child: childLoss,
        randomInit: await heldOut.loss(random, keep.D, o.signal),
        batches: heldOut.batches,
        count: heldOut.count,
      };
    }

    await abortPoint(o.signal);
    progress(0.9, 'writing the subclone');
    const childParams = countShapeParameters(map, shape, blocks);
    const provenance: Provenance = {
      version: 1,
      tool: TOOL,
      createdAt: new Date().toISOString(),
      parent: { file: path.resolve(file), sha256: sha256File(file), family: map.family, dims: map.dims, parameters: map.parameterCounts.total },
      shape,
      dims: { ...map.dims, layers: blocks.length, dModel: shape.dModel, heads: shape.heads, kvHeads: shape.kvHeads, ffn: shape.ffn },
      parameters: childParams,
      kept: keptRecord(blocks, keep),
      options: { blockPolicy: policy.kind === 'list' ? policy.blocks.join(',') : policy.kind, scale: o.scale ?? true, data: typeof o.data === 'string' && o.data !== 'random' ? path.resolve(o.data) : o.data, seed: o.seed ?? 0, provider: o.provider ?? 'auto' },
      importance: {
        report: o.report ? path.resolve(o.report) : null,
        calibration: report.calibration,
        topNeurons: report.embedding.ranking.slice(0, 8),
        spearmanFirstLast: firstLast(report),
      },
      blockSelection: { policy: policy.kind, method: search?.method ?? null, candidates: search?.candidates ?? [], metric: search ? probe!.metric : null },
      budgetSearch,
      scaling: child.scaled,
      constantEdits: child.constantEdits,
      verification,
    };
    const finalShape = shape;
    const planned = hfFor(finalShape);
    const blocksMisfit = planned?.ok ? hfBlocksProblem(parentConfig!, blocks) : undefined;
    const hf: HfPlan | null = blocksMisfit ? { ok: false, reason: blocksMisfit } : planned;
    if (!o.shape || blocksMisfit) checkHf(hf, format, o.onNotice);
    provenance.output = { onnx: format !== 'hf', hf: hf === null ? null : hf.ok ? { modelType: hf.modelType } : { notWritten: hf.reason } };
    let hfFile = SINGLE_FILE_NAME;
    await writeFolderAtomically(outDir, o.overwrite ?? false, async (tmp) => {
      if (format !== 'hf') writeModel(child.model, path.join(tmp, 'model.onnx'), { signal: o.signal });
      copyCompanions(file, tmp);
      const sizes = childSizes(map, finalShape);
      let config = parentConfig ? subclonedConfig(parentConfig, { ...sizes, ffn: ffnPerBlock(finalShape) }) : null;
      if (hf?.ok) {
        const written = writeHfCheckpoint(tmp, child.model, childMapOf(map, blocks, finalShape), sizes, parentConfig!, hf.modelType, { maxShardBytes: o.maxShardBytes });
        config = written.config;
        // Sharded, the file that names the checkpoint is the index.
        hfFile = path.basename(written.weights.indexFile ?? written.weights.files[0]);
      }
      if (config) writeFileAtomic(path.join(tmp, 'config.json'), JSON.stringify(config, null, 2) + '\n');
      writeFileAtomic(path.join(tmp, 'subclone.json'), JSON.stringify(provenance, null, 2) + '\n');
    });
    progress(1, 'done');
    return { outDir, modelFile: path.join(outDir, format === 'hf' ? hfFile : 'model.onnx'), provenance };
  } finally {
    for (const p of probes) p.close();
    staged?.close();
    parent.close();
  }
}

/** The built child with its model staged on disk (the in-memory one let go), or as built. */
function stagedChild(built: ReturnType<typeof buildChild>, staged: StagedModels | null, signal?: AbortSignal): ReturnType<typeof buildChild> {
  return staged ? { ...built, model: staged.stage(built.model, 'model.onnx', signal) } : built;
}

function childSizes(map: TransformerMap, s: SubcloneShape): ChildSizes {
  return { layers: s.layers, dModel: s.dModel, heads: s.heads, kvHeads: s.kvHeads, ffn: s.ffn, headDim: map.dims.headDim };
}

/** An HF checkpoint that cannot be written: an error when only it was asked for, else a notice. */
function checkHf(plan: HfPlan | null, format: OutputFormat, onNotice?: (m: string) => void): void {
  if (!plan || plan.ok) return;
  if (format === 'hf') throw new SubcloneError('Unsupported', `not supported yet as a Hugging Face checkpoint: ${plan.reason}`);
  onNotice?.(`writing ONNX only: ${plan.reason}`);
}

/** The parent's map narrowed to the child: its blocks in order (their initializers keep their names), its head counts. */
function childMapOf(map: TransformerMap, blocks: readonly number[], s: SubcloneShape): TransformerMap {
  return {
    ...map,
    blocks: blocks.map((b, j) => {
      const block = map.blocks.find((x) => x.index === b)!;
      return { ...block, index: j, attention: { ...block.attention, heads: s.heads, kvHeads: s.kvHeads } };
    }),
  };
}

/** Option combinations that cannot work, refused before the model is read. */
function checkRequest(o: SubcloneOptions): void {
  if (!o.shape === (o.budget === undefined)) throw new SubcloneError('BadArgument', 'give either a destination shape or a parameter budget, not both');
  if (o.budget === undefined) return;
  if (o.data === null) throw new SubcloneError('BadArgument', 'the budget search scores shapes by calibration loss, so it needs calibration data (--data, or --random as a fallback)');
  if (o.blocks && o.blocks.kind !== 'loss') throw new SubcloneError('BadArgument', 'the budget search chooses blocks by calibration loss; leave out --blocks');
  if (o.blockSearch) throw new SubcloneError('BadArgument', 'a block search is for one given shape, not for a budget');
}

function keptRecord(blocks: number[], keep: Record<string, readonly number[]>): Provenance['kept'] {
  const pick = (prefix: string) => Object.fromEntries(blocks.filter((b) => keep[`${prefix}${b}`]).map((b) => [String(b), [...keep[`${prefix}${b}`]]]));
  return { blocks, embedding: [...(keep.D ?? [])], ffn: pick('F'), heads: pick('H'), kvGroups: pick('KV') };
}

function firstLast(report: ImportanceReport): number | null {
  const s = report.embedding.agreement.spearman;
  return s.length > 1 ? s[1][s.length - 1] : null;
}

/** A saved importance report, checked by the importance engine's reader and against this model's dimensions. */
function readReport(file: string, map: TransformerMap): ImportanceReport {
  const report = readImportanceReport(file);
  if (report.embedding.ranking.length !== map.dims.dModel || report.ffn.length !== map.dims.layers) {
    throw new SubcloneError('BadArgument', `${file} was made for another model (${report.embedding.ranking.length} neurons, ${report.ffn.length} blocks)`);
  }
  return report;
}
