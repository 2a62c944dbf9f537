/**
 * The benchmark's and screenshots' stand-in for the extension host (bundled into the harness page only): it
 * provides acquireVsCodeApi, keeps the posted messages, and answers `select`, `scoreBlocks`, `fitBudget` and
 * `subclone` with plausible results computed from the report (top-k per group). The product never computes a
 * selection in the webview; this file exists only so the panel can be measured and looked at without a worker.
 */
import type { BlockCandidate, FromImportance, ImportanceViewData, PanelBlockPolicy, SelectionView, ToImportance } from '../../src/protocol/importanceProtocol';
import type { TargetShape } from '../../src/protocol/shapes';

declare global {
  interface Window {
    __VIEW: ImportanceViewData;
    __host: {
      posted: FromImportance[];
      sendReport(): void;
      autoReport: boolean;
      scored: Set<string>;
      selectionArrived: number | null;
      /** While true, `select` answers wait until release() (so a benchmark can time the report alone). */
      holdSelections: boolean;
      release(): void;
    };
    acquireVsCodeApi: () => unknown;
  }
}

const host = (window.__host = { posted: [] as FromImportance[], sendReport, autoReport: true, scored: new Set<string>(), selectionArrived: null as number | null, holdSelections: false, release });
const held: FromImportance[] = [];
function release(): void {
  host.holdSelections = false;
  for (const m of held.splice(0)) answer(m);
}
// Registered before the panel's own listener: when a selection reaches the page (after it is deserialised).
window.addEventListener('message', (e: MessageEvent<ToImportance>) => {
  if (e.data?.type === 'selection' && host.selectionArrived === null) host.selectionArrived = performance.now();
});
let saved: unknown = undefined;
window.acquireVsCodeApi = () => ({
  postMessage: (m: FromImportance) => {
    host.posted.push(m);
    setTimeout(() => answer(m), 5);
  },
  getState: () => saved,
  setState: (s: unknown) => (saved = s),
});

function send(m: ToImportance): void {
  window.postMessage(m, '*');
}

function sendReport(): void {
  send({ type: 'report', data: window.__VIEW });
}

const key = (s: TargetShape) => `${s.layers}/${s.dModel}/${s.heads}/${s.kvHeads}/${s.ffn}`;

function answer(m: FromImportance): void {
  switch (m.type) {
    case 'ready':
      if (host.autoReport) sendReport();
      return;
    case 'select':
      if (host.holdSelections) return void held.push(m);
      return send({ type: 'selection', requestId: m.requestId, selection: selection(m.shape, m.policy) });
    case 'scoreBlocks': {
      send({ type: 'progress', requestId: m.requestId, fraction: 0.5, message: 'Scoring block subsets' });
      host.scored.add(key(m.shape));
      const c = candidates(m.shape.layers);
      setTimeout(() => send({ type: 'blockScores', requestId: m.requestId, search: { shape: m.shape, chosen: c[0].blocks, method: 'exhaustive', metric: 'next-token cross-entropy (nats/token)', candidates: c, source: { kind: 'search' } } }), 30);
      return;
    }
    case 'fitBudget':
      return send({ type: 'budget', requestId: m.requestId, result: budget() });
    case 'subclone':
      return send({ type: 'subcloned', requestId: m.requestId, run: { folder: `/work/model-subclone-${m.shape.layers}L-${m.shape.dModel}d`, shape: m.shape, blocks: [0, 3, 5], parameters: parameters(m.shape), createdAt: new Date(0).toISOString(), losses: { parent: 1.32, child: 2.92, randomInit: 5.54, metric: 'nats/byte' } } });
    default:
      return;
  }
}

function top(values: number[], k: number): number[] {
  return values.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, k).map((x) => x[1]).sort((a, b) => a - b);
}

function share(values: number[], kept: number[]): number {
  const total = values.reduce((a, b) => a + b, 0);
  return kept.reduce((a, i) => a + values[i], 0) / total;
}

function parameters(s: TargetShape): number {
  const d = window.__VIEW.report.model.dims;
  const gated = window.__VIEW.report.model.family === 'llama' ? 3 : 2;
  const kvDim = s.kvHeads * (s.dModel / s.heads);
  return s.layers * (2 * s.dModel * s.dModel + 2 * s.dModel * kvDim + gated * s.dModel * s.ffn + 4 * s.dModel) + (d.vocab ?? 0) * s.dModel + (d.context ?? 0) * s.dModel;
}

function blocksFor(policy: PanelBlockPolicy, l: number, L: number, mags: number[]): number[] | null {
  if (policy === 'first') return Array.from({ length: l }, (_, i) => i);
  if (policy === 'middle') return [...Array.from({ length: Math.ceil(l / 2) }, (_, i) => i), ...Array.from({ length: Math.floor(l / 2) }, (_, i) => L - Math.floor(l / 2) + i)];
  if (policy === 'magnitude') return mags.length ? [0, ...top(mags.slice(1), l - 1).map((i) => i + 1)] : null;
  return null;
}

const keptCache = new Map<string, Pick<SelectionView, 'kept' | 'shares'>>();

/** What a shape keeps (top-k per group), computed once per shape: the fake host should not slow the page it measures. */
function keptFor(shape: TargetShape): Pick<SelectionView, 'kept' | 'shares'> {
  const cached = keptCache.get(key(shape));
  if (cached) return cached;
  const v = window.__VIEW;
  const r = v.report;
  const p = v.parent!.shape;
  const embedding = r.embedding.ranking.slice(0, shape.dModel).sort((a, b) => a - b);
  const perGroup = p.heads / p.kvHeads;
  const kvGroups = r.kvGroups.map((g) => top(g, shape.kvHeads));
  const heads = kvGroups.map((gs, b) => (perGroup > 1 ? gs.flatMap((g) => Array.from({ length: perGroup }, (_, j) => g * perGroup + j)).slice(0, shape.heads) : top(r.heads[b], shape.heads)));
  const ffn = r.ffn.map((row) => top(row, shape.ffn));
  const result = {
    kept: { embedding, ffn, heads, kvGroups },
    shares: { embedding: share(r.embedding.scores, embedding), ffn: r.ffn.map((row, b) => share(row, ffn[b])), heads: r.heads.map((row, b) => share(row, heads[b])) },
  };
  keptCache.set(key(shape), result);
  return result;
}

/** Fills the cache for the presets while the page loads (before the benchmark posts the report). */
export function warmPresets(): void {
  for (const p of window.__VIEW?.presets ?? []) keptFor(p.shape);
}
warmPresets();

function selection(shape: TargetShape, policy: PanelBlockPolicy): SelectionView {
  const v = window.__VIEW;
  const r = v.report;
  const parentParameters = v.parent!.parameters;
  const p = v.parent!.shape;
  const bad = shape.dModel % shape.heads !== 0 ? `d_model ${shape.dModel} is not a multiple of ${shape.heads} heads` : shape.layers > p.layers || shape.dModel > p.dModel || shape.ffn > p.ffn ? 'The shape is larger than the parent.' : null;
  const policies = Object.fromEntries((['loss', 'magnitude', 'first', 'middle'] as PanelBlockPolicy[]).map((q) => [q, blocksFor(q, shape.layers, p.layers, r.blocks.relativeMagnitude)])) as SelectionView['policies'];
  if (host.scored.has(key(shape))) policies.loss = candidates(shape.layers)[0].blocks;
  if (bad) return { shape, policy, ok: false, message: bad, parameters: null, parentParameters, blocks: null, scoreCount: 0, policies, search: null, kept: null, shares: null, onnxOnly: null };
  return { shape, policy, ok: true, message: null, parameters: parameters(shape), parentParameters, blocks: policies[policy], scoreCount: 10, policies, search: null, onnxOnly: null, ...keptFor(shape) };
}

function candidates(l: number): BlockCandidate[] {
  const L = window.__VIEW.report.model.dims.layers;
  const out: BlockCandidate[] = [];
  const pick = (start: number, chosen: number[]) => {
    if (chosen.length === l) return void out.push({ blocks: chosen, loss: 2.6 + ((chosen.reduce((a, b) => a * 7 + b, 3) % 97) / 97) * 1.4 });
    for (let b = start; b < L && out.length < 64; b++) pick(b + 1, [...chosen, b]);
  };
  pick(1, [0]);
  return out.sort((a, b) => a.loss - b.loss);
}

function budget() {
  const p = window.__VIEW.parent!;
  const shapes: TargetShape[] = [
    { layers: 4, dModel: 128, heads: 4, kvHeads: 4, ffn: 512 },
    { layers: 3, dModel: 160, heads: 5, kvHeads: 5, ffn: 640 },
    { layers: 2, dModel: 192, heads: 6, kvHeads: 6, ffn: 768 },
    { layers: 5, dModel: 96, heads: 3, kvHeads: 3, ffn: 384 },
  ];
  const candidates = shapes.map((shape, i) => ({ shape, parameters: parameters(shape), fraction: parameters(shape) / p.parameters, blocks: Array.from({ length: shape.layers }, (_, b) => (b === 0 ? 0 : b + 1)), loss: [2.71, 2.64, 2.98, 2.89][i] }));
  return { budget: Math.round(p.parameters * 0.25), metric: 'next-token cross-entropy (nats/token)', enumerated: 41, scored: candidates.length, candidates };
}
