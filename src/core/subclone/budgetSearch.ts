import type { Budget, BudgetCandidate, BudgetResult } from './reportViews';
import { SubcloneError, throwIfAborted } from '../errors';
import type { LossProbe } from '../eval/lossProbe';
import type { ImportanceReport } from '../importance/report';
import type { OnnxModel } from '../onnx/onnxModel';
import type { TransformerMap } from '../recognize/transformerMap';
import { ruleBlocks } from './blockPolicy';
import { candidateCount, type BlockSearchResult } from './blockSearch';
import { searchBlocksForShape } from './blockScoring';
import { embeddingShare, meanTopShare } from './keptShares';
import { checkShape, countShapeParameters, type SubcloneShape } from './shape';
import type { WidthScores } from './widthSelection';

/** Shapes scored by calibration loss, by default. */
export const DEFAULT_BUDGET_CANDIDATES = 6;

/** A uniform destination shape (one FFN width for every block). */
export type UniformShape = SubcloneShape & { ffn: number };

export interface ShapeOption {
  shape: UniformShape;
  parameters: number;
  /** The screening score: the importance the shape keeps (higher is more promising). */
  promise: number;
}

/**
 * Reads a parameter budget: "25%" (of the parent), "700K", "1.2M", "3B" or a plain count. Throws BadArgument
 * with the accepted forms otherwise.
 */
export function parseBudget(text: string): Budget {
  const t = text.trim().replace(/_/g, '');
  const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(t);
  if (percent) return { percent: Number(percent[1]) };
  const count = /^(\d+(?:\.\d+)?)\s*([kKmMbBgG]?)$/.exec(t);
  if (count) return { parameters: Math.floor(Number(count[1]) * ({ '': 1, k: 1e3, m: 1e6, b: 1e9, g: 1e9 } as Record<string, number>)[count[2].toLowerCase()]) };
  throw new SubcloneError('BadArgument', `a parameter budget is a count (700000, 700K, 1.2M, 3B) or a percentage of the parent (25%), got "${text}"`);
}

/** A budget as a parameter count (a percentage is of the parent's); it must be at least 1 and below the parent. */
export function budgetParameters(budget: Budget, parentParameters: number): number {
  const n = 'percent' in budget ? Math.floor((budget.percent / 100) * parentParameters) : budget.parameters;
  const words = 'percent' in budget ? `${budget.percent}% of the parent` : `${budget.parameters} parameters`;
  if (!(n >= 1)) throw new SubcloneError('BadArgument', `the parameter budget (${words}) must be at least 1 parameter`);
  if (n >= parentParameters) throw new SubcloneError('BadArgument', `the parameter budget (${words}) is not smaller than the parent (${parentParameters} parameters)`);
  return n;
}

/** (heads, kv heads) pairs the parent allows: whole KV groups with at most the parent's query heads per group. */
function headOptions(map: TransformerMap): { heads: number; kvHeads: number }[] {
  const d = map.dims;
  if (d.kvHeads === d.heads) return oneTo(d.heads).map((h) => ({ heads: h, kvHeads: h }));
  if (d.kvHeads === 1) return oneTo(d.heads).map((h) => ({ heads: h, kvHeads: 1 }));
  const ratio = d.heads / d.kvHeads;
  const out: { heads: number; kvHeads: number }[] = [];
  for (let kv = 1; kv <= d.kvHeads; kv++) for (let r = 1; r <= ratio; r++) out.push({ heads: kv * r, kvHeads: kv });
  return out;
}

/** Widths to try with `heads` heads: heads × head_dim when the graph ties them, else a grid of the parent's width. */
function widthOptions(map: TransformerMap, heads: number): number[] {
  const D = map.dims.dModel;
  const tied = heads * map.dims.headDim;
  const step = D >= 128 ? Math.max(8, Math.floor(D / 16 / 8) * 8) : Math.max(1, Math.floor(D / 16));
  const grid = [...new Set([...oneTo(Math.floor(D / step)).map((k) => k * step), D, tied])].filter((w) => w <= D);
  return grid.sort((a, b) => a - b);
}

/** FFN widths are multiples of this: about 1/96 of the parent's, a power of two. */
function ffnGranularity(parentFfn: number): number {
  return 2 ** Math.max(0, Math.floor(Math.log2(parentFfn / 96)));
}

/**
 * Every valid uniform shape that fits the budget, each with the widest FFN that fits for its depth, width and
 * heads (a narrower FFN keeps less and never screens better), and the parameters of the smallest valid shape.
 */
export function enumerateShapes(map: TransformerMap, budget: number, report: ImportanceReport): { options: ShapeOption[]; smallest: number } {
  const d = map.dims;
  const parentFfn = Array.isArray(d.ffn) ? Math.min(...d.ffn) : d.ffn;
  const g = ffnGranularity(parentFfn);
  const found: ShapeOption[] = [];
  let smallest = Infinity;
  for (let layers = 1; layers <= d.layers; layers++) {
    for (const { heads, kvHeads } of headOptions(map)) {
      for (const dModel of widthOptions(map, heads)) {
        const base = { layers, dModel, heads, kvHeads };
        if (!checkShape(map, { ...base, ffn: g }).ok) continue;
        const at = (ffn: number) => countShapeParameters(map, { ...base, ffn });
        const p1 = at(g);
        smallest = Math.min(smallest, p1);
        if (p1 > budget) continue;
        const slope = Math.max(1, (at(2 * g) - p1) / g);
        let ffn = Math.min(parentFfn, Math.floor((g + (budget - p1) / slope) / g) * g);
        while (ffn > g && at(ffn) > budget) ffn -= g;
        const shape = { ...base, ffn };
        if (ffn < 1 || !checkShape(map, shape).ok) continue;
        found.push({ shape, parameters: at(ffn), promise: promiseOf(shape, report, d.layers) });
      }
    }
  }
  return { options: found, smallest };
}

/**
 * The screening score: the product of the importance shares a shape keeps — embedding neurons (global score),
 * FFN units and heads (mean over blocks), and blocks (the share of relative residual update the paper's magnitude
 * rule keeps at this depth; the fraction of blocks without data). Only ranks shapes for scoring; the loss decides.
 */
function promiseOf(s: UniformShape, r: ImportanceReport, parentLayers: number): number {
  const magnitudes = r.blocks.relativeMagnitude;
  let depth = s.layers / parentLayers;
  if (magnitudes.length === parentLayers) {
    const kept = ruleBlocks({ kind: 'magnitude' }, parentLayers, s.layers, magnitudes);
    depth = kept.reduce((a, b) => a + magnitudes[b], 0) / magnitudes.reduce((a, b) => a + b, 0);
  }
  return embeddingShare(r, s.dModel) * meanTopShare(r.ffn, s.ffn) * meanTopShare(r.heads, s.heads) * depth;
}

/** The most promising shape of each depth, most promising first, at most `k`. */
export function promisingShapes(options: ShapeOption[], k: number): ShapeOption[] {
  const bestPerDepth = new Map<number, ShapeOption>();
  for (const o of options) {
    const best = bestPerDepth.get(o.shape.layers);
    if (!best || o.promise > best.promise || (o.promise === best.promise && o.parameters > best.parameters)) bestPerDepth.set(o.shape.layers, o);
  }
  return [...bestPerDepth.values()].sort((a, b) => b.promise - a.promise || b.parameters - a.parameters).slice(0, k);
}

export interface FitBudgetOptions {
  /** Shapes to score by loss (default 6). */
  candidates?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, message: string) => void;
}

/**
 * Fits a parameter budget (Minitron-style search, on the user's calibration data): enumerates the valid uniform
 * shapes that fit, screens them by the importance they keep (the most promising of each depth), and scores the
 * top candidates by calibration loss with the loss-guided block search `apply` runs. Lowest loss first, each with
 * its block search (same order).
 */
export async function fitBudget(
  parent: OnnxModel,
  map: TransformerMap,
  report: ImportanceReport,
  probe: LossProbe,
  budget: number,
  o: FitBudgetOptions = {},
): Promise<{ result: BudgetResult; searches: BlockSearchResult[] }> {
  const { options, smallest } = enumerateShapes(map, budget, report);
  if (!options.length) throw new SubcloneError('BadShape', `no valid shape of this model fits ${budget} parameters (the smallest has ${smallest})`);
  const chosen = promisingShapes(options, o.candidates ?? DEFAULT_BUDGET_CANDIDATES);
  const scores: WidthScores = { embeddingRanking: report.embedding.ranking, ffn: report.ffn, heads: report.heads, kvGroups: report.kvGroups };
  const total = chosen.reduce((n, c) => n + candidateCount(map.dims.layers, c.shape.layers), 0);
  let done = 0;
  const scored: { candidate: BudgetCandidate; search: BlockSearchResult }[] = [];
  for (const [i, c] of chosen.entries()) {
    throwIfAborted(o.signal);
    const search = await searchBlocksForShape(parent, map, c.shape, scores, probe, {
      ...(o.signal ? { signal: o.signal } : {}),
      onProgress: (n) => o.onProgress?.(done + n, total, `shape ${i + 1}/${chosen.length}: ${c.shape.layers} layers × ${c.shape.dModel}, block candidate ${n}`),
    });
    done += search.candidates.length;
    const best = search.candidates.find((x) => sameBlocks(x.blocks, search.chosen))!;
    scored.push({ candidate: { shape: c.shape, parameters: c.parameters, fraction: c.parameters / map.parameterCounts.total, blocks: search.chosen, loss: best.loss }, search });
  }
  scored.sort((a, b) => a.candidate.loss - b.candidate.loss || b.candidate.parameters - a.candidate.parameters);
  const candidates = scored.map((x) => x.candidate);
  return { result: { budget, metric: probe.metric, enumerated: options.length, scored: candidates.length, candidates }, searches: scored.map((x) => x.search) };
}

function sameBlocks(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** 1, 2, …, n. */
function oneTo(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}
