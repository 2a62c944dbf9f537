/**
 * A synthetic ImportanceViewData of a 7B-class model (LLaMA-like: 32 layers × 4096, 32 heads in 8 KV groups,
 * FFN 14336): log-normal scores with a few neurons 10–100× the rest, rankings that agree between neighbouring
 * layers and drift with depth. Only its sizes and rough shape matter (for the panel's benchmark).
 */
import type { ImportanceViewData } from '../../src/protocol/importanceProtocol';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const round7 = (v: number) => Number(v.toPrecision(7));

export function syntheticView(): ImportanceViewData {
  const L = 32, D = 4096, H = 32, KV = 8, F = 14336;
  const rand = rng(7);
  const normal = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const base = Array.from({ length: D }, () => normal());
  const outliers = new Set(Array.from({ length: 12 }, () => Math.floor(rand() * D)));
  const perLayer = Array.from({ length: L + 1 }, (_, p) =>
    base.map((b, j) => {
      const drift = normal() * (0.3 + p / L);
      const boost = outliers.has(j) && p > 0 ? 10 + 90 * rand() : 1;
      return round7(Math.exp(0.5 * (b + drift)) * boost * (1 + p * 0.2));
    }),
  );
  const scores = Array.from({ length: D }, (_, j) => perLayer.reduce((a, row) => a + row[j] / row.reduce((x, y) => x + y, 0), 0));
  const ranking = Array.from({ length: D }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  const spearman = Array.from({ length: L + 1 }, (_, p) => Array.from({ length: L + 1 }, (_, q) => (p === q ? 1 : round7(Math.max(-0.2, 0.85 ** Math.abs(p - q) - (p === 0 || q === 0 ? 0.6 : 0))))));
  const ffn = Array.from({ length: L }, () => Array.from({ length: F }, () => round7(Math.exp(0.6 * normal()) * 0.05)));
  const heads = Array.from({ length: L }, () => Array.from({ length: H }, () => round7(1 + rand() * 2)));
  const kvGroups = heads.map((row) => Array.from({ length: KV }, (_, g) => round7(row.slice(g * 4, g * 4 + 4).reduce((a, b) => a + b, 0))));
  const neighbourRho = Array.from({ length: L - 1 }, (_, b) => spearman[b + 1][b + 2]);
  const parent = { layers: L, dModel: D, heads: H, kvHeads: KV, ffn: F };
  return {
    fileName: 'model.importance.json',
    path: 'llama-7b/model.importance.json',
    report: {
      version: 1,
      model: { file: '/models/llama-7b/model.onnx', family: 'llama', dims: { layers: L, dModel: D, heads: H, kvHeads: KV, headDim: 128, ffn: F, vocab: 32000, context: 4096 }, sha256: 'a'.repeat(64) },
      calibration: { source: 'text', path: '/data/wiki.txt', samples: 64, tokens: 131072, sequenceLength: 2048, fallback: false, tokenizer: '/models/llama-7b/tokenizer.json', seed: 0 },
      embedding: { ranking, scores: scores.map(round7), perLayer, agreement: { spearman, topK: D / 2, topKOverlap: spearman.map((r) => r.map((v) => round7(0.5 + v / 2))) } },
      ffn,
      heads,
      kvGroups,
      blocks: { relativeMagnitude: Array.from({ length: L }, (_, b) => round7(b === 0 ? 0.9 : 0.2 + 0.2 * rand())), oneMinusCos: Array.from({ length: L }, (_, b) => round7(b === 0 ? 0.7 : 0.05 + 0.1 * rand())) },
      run: { provider: 'cuda', seconds: 412.5, createdAt: '2026-12-01T08:30:00.000Z' },
    },
    model: { file: '/models/llama-7b/model.onnx', name: 'model.onnx', sha256: 'a'.repeat(64) },
    parent: { shape: parent, parameters: 6738415616 },
    presets: [
      { id: 'half-depth', label: 'half depth', shape: { ...parent, layers: 16 }, parameters: 3500000000 },
      { id: 'half-width', label: 'half width', shape: { layers: L, dModel: 2048, heads: 16, kvHeads: 8, ffn: 7168 }, parameters: 1900000000 },
      { id: 'half-both', label: 'half depth and width', shape: { layers: 16, dModel: 2048, heads: 16, kvHeads: 8, ffn: 7168 }, parameters: 1000000000 },
      { id: 'quarter-params', label: 'about a quarter of the parameters', shape: { layers: 24, dModel: 2560, heads: 20, kvHeads: 5, ffn: 8960 }, parameters: 1700000000 },
    ],
    consistency: { sentence: 'One ranking fits neighbouring blocks 0–31 (ρ 0.85 between neighbours); the embedding output is unrelated to the blocks (ρ 0.25 with block 0’s output).', threshold: 0.7, runs: [{ first: 0, last: L - 1 }], neighbourRho },
    outliers: [...outliers].slice(0, 16).map((neuron) => ({ neuron, rank: ranking.indexOf(neuron), share: scores[neuron] / (L + 1), ratioToMedian: 10 + rand() * 90, point: 1 + Math.floor(rand() * L) })),
    subcloneRuns: [],
    actionsEnabled: true,
    actionsDisabledReason: null,
    lossScoring: { available: true, reason: null },
  };
}
