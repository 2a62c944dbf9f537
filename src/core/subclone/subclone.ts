import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SubcloneError, throwIfAborted } from '../errors';
import { calibrationFor } from '../importance/calibrationFor';
import { computeImportance } from '../importance/computeImportance';
import type { ImportanceReport } from '../importance/report';
import { readImportanceReport } from '../importance/reportFile';
import type { CalibrationRequest } from '../importance/options';
import { OnnxModel } from '../onnx/onnxModel';
import { writeModel } from '../onnx/writeModel';
import { writeFileAtomic } from '../fs/atomicFile';
import { analyzeModel } from '../recognize/recognize';
import type { TransformerMap } from '../recognize/transformerMap';
import type { ProviderPreference } from '../runtime/executionProvider';
import { makeLossProbe, type LossProbe } from '../eval/lossProbe';
import { randomInit } from '../train/randomInit';
import { trainingTargetFromMap } from '../train/target';
import { ruleBlocks, type BlockPolicy } from './blockPolicy';
import { searchBlocks, type BlockSearchResult } from './blockSearch';
import { editableCopy } from './childModel';
import { subclonedConfig } from './hfConfig';
import { copyCompanions, defaultOutputDir, checkOutputDir, writeFolderAtomically } from './outputFolder';
import type { Provenance } from './provenance';
import { removeBlocks } from './removeBlocks';
import { assertShape, countShapeParameters, ffnPerBlock, shapeLabel, type SubcloneShape } from './shape';
import { buildChild } from './surgery';
import { Graph } from '../graph/graph';
import { selectWidths } from './widthSelection';

export interface SubcloneOptions {
  shape: SubcloneShape;
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
  const progress = (f: number, m: string) => o.onProgress?.(f, m);
  const parent = OnnxModel.load(file);
  try {
    progress(0.02, 'recognising the model');
    const { map } = await analyzeModel(parent, { signal: o.signal });
    assertShape(map, o.shape);
    const outDir = path.resolve(o.outDir ?? defaultOutputDir(file, shapeLabel(o.shape)));
    checkOutputDir(outDir, o.overwrite ?? false);
    const dataRequest: CalibrationRequest = o.data === null ? { kind: 'weights' } : o.data === 'random' ? { kind: 'random' } : { kind: 'path', path: o.data };

    progress(0.05, 'measuring neuron importance');
    const report = o.report ? readReport(o.report, map) : await computeImportance(parent, map, {
      data: dataRequest,
      ...(o.samples ? { samples: o.samples } : {}),
      provider: o.provider ?? 'auto',
      seed: o.seed ?? 0,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.onNotice ? { onNotice: o.onNotice } : {}),
      onProgress: (p) => progress(0.05 + 0.25 * (p.done / Math.max(1, p.total)), p.message),
    });
    throwIfAborted(o.signal);
    const scores = { embeddingRanking: report.embedding.ranking, ffn: report.ffn, heads: report.heads, kvGroups: report.kvGroups };
    const policy: BlockPolicy = o.blocks ?? (dataRequest.kind === 'path' ? { kind: 'loss' } : { kind: 'first' });

    // Candidates are scored on calibration text; the result is verified on the held-out split (text) or the same
    // calibration images (image folders have no split).
    let probe: LossProbe | undefined;
    let heldOut: LossProbe | undefined;
    if (dataRequest.kind !== 'weights') {
      progress(0.32, 'preparing the calibration loss');
      const probeFor = (request: CalibrationRequest, samples: number) =>
        makeLossProbe(parent, map, calibrationFor(file, map, { data: request, samples, seed: (o.seed ?? 0) + 1 }), {
          provider: o.provider ?? 'auto',
          ...(o.signal ? { signal: o.signal } : {}),
        });
      probe = await probeFor(dataRequest, o.evalSamples ?? 16);
      heldOut = dataRequest.kind === 'path' && map.dims.vocab !== null ? await probeFor({ ...dataRequest, split: 'validation' }, o.verifySamples ?? 64) : probe;
    }

    const keptD = [...report.embedding.ranking.slice(0, o.shape.dModel)].sort((a, b) => a - b);
    let search: BlockSearchResult | null = null;
    let blocks: number[];
    if (policy.kind === 'loss') {
      if (!probe) throw new SubcloneError('BadArgument', 'loss-guided block selection needs calibration data; pass data or choose --blocks first|middle|magnitude|<list>');
      progress(0.35, 'choosing blocks by calibration loss');
      search = await searchBlocks(map.dims.layers, o.shape.layers, candidateBuilder(parent, map, o.shape, scores), probe, keptD, {
        ...(o.signal ? { signal: o.signal } : {}),
        onProgress: (done, total, best) => progress(0.35 + 0.35 * (done / total), `block candidate ${done}/${total}${best ? ` (best ${best.loss.toFixed(3)} with [${best.blocks.join(', ')}])` : ''}`),
      });
      blocks = search.chosen;
    } else {
      const magnitudes = report.blocks.relativeMagnitude.length ? report.blocks.relativeMagnitude : undefined; // empty when data-free
      blocks = ruleBlocks(policy, map.dims.layers, o.shape.layers, magnitudes);
    }
    assertShape(map, o.shape, blocks);

    progress(0.72, 'building the subclone');
    const keep = selectWidths(map, o.shape, scores, blocks);
    const child = buildChild(parent, map, { blocks, keep }, { scale: o.scale ?? true });
    throwIfAborted(o.signal);

    let verification: Provenance['verification'] = null;
    if (heldOut) {
      progress(0.78, 'verifying: parent, subclone and random-init losses');
      const target = trainingTargetFromMap(map);
      const childNames = new Set(child.model.graph.initializer.map((t) => t.name));
      const random = randomInit(child.model, { ...target, layers: blocks.length, params: target.params.filter((p) => childNames.has(p.name) && (!p.copyOf || childNames.has(p.copyOf))) }, o.seed ?? 0);
      verification = {
        metric: heldOut.metric,
        data: heldOut === probe ? 'calibration' : 'held-out',
        parent: await heldOut.loss(parent, undefined, o.signal),
        child: await heldOut.loss(child.model, keep.D, o.signal),
        randomInit: await heldOut.loss(random, keep.D, o.signal),
        batches: heldOut.batches,
        count: heldOut.count,
      };
    }

    progress(0.9, 'writing the subclone');
    const childParams = countShapeParameters(map, o.shape, blocks);
    const provenance: Provenance = {
      version: 1,
      tool: TOOL,
      createdAt: new Date().toISOString(),
      parent: { file: path.resolve(file), sha256: sha256(file), family: map.family, dims: map.dims, parameters: map.parameterCounts.total },
      shape: o.shape,
      dims: { ...map.dims, layers: blocks.length, dModel: o.shape.dModel, heads: o.shape.heads, kvHeads: o.shape.kvHeads, ffn: Array.isArray(o.shape.ffn) ? o.shape.ffn : o.shape.ffn },
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
      scaling: child.scaled,
      constantEdits: child.constantEdits,
      verification,
    };
    await writeFolderAtomically(outDir, o.overwrite ?? false, async (tmp) => {
      writeModel(child.model, path.join(tmp, 'model.onnx'), { signal: o.signal });
      copyCompanions(file, tmp);
      const configFile = path.join(path.dirname(path.resolve(file)), 'config.json');
      if (fs.existsSync(configFile)) {
        const config = subclonedConfig(JSON.parse(fs.readFileSync(configFile, 'utf8')), {
          layers: blocks.length, dModel: o.shape.dModel, heads: o.shape.heads, kvHeads: o.shape.kvHeads, ffn: ffnPerBlock(o.shape), headDim: map.dims.headDim,
        });
        writeFileAtomic(path.join(tmp, 'config.json'), JSON.stringify(config, null, 2) + '\n');
      }
      writeFileAtomic(path.join(tmp, 'subclone.json'), JSON.stringify(provenance, null, 2) + '\n');
    });
    progress(1, 'done');
    return { outDir, modelFile: path.join(outDir, 'model.onnx'), provenance };
  } finally {
    parent.close();
  }
}

/**
 * Builds block candidates cheaply: with one FFN width for all blocks, the parent is width-sliced once and each
 * candidate only removes blocks from that; per-block widths slice each candidate anew.
 */
function candidateBuilder(parent: OnnxModel, map: TransformerMap, shape: SubcloneShape, scores: Parameters<typeof selectWidths>[2]): (blocks: number[]) => OnnxModel {
  if (Array.isArray(shape.ffn)) {
    return (blocks) => buildChild(parent, map, { blocks, keep: selectWidths(map, shape, scores, blocks) }).model;
  }
  const all = map.blocks.map((b) => b.index);
  const wide = buildChild(parent, map, { blocks: all, keep: selectWidths(map, { ...shape, layers: all.length }, scores, all) }).model;
  return (blocks) => {
    const copy = editableCopy(wide);
    const graph = new Graph(copy);
    removeBlocks(graph, map, blocks);
    graph.cleanup();
    return copy;
  };
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

function sha256(file: string): string {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(16 * 1024 * 1024);
    for (let pos = 0; ; ) {
      const n = fs.readSync(fd, buf, 0, buf.length, pos);
      if (!n) break;
      hash.update(buf.subarray(0, n));
      pos += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}
