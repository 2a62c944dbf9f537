/**
 * Work done once while the host reads the report (after `ready`): the whole panel is rendered for a tiny made-up
 * report, with a selection, into a hidden element and thrown away, and the per-cell loops (sorting, binning,
 * colouring) run a few times on report-sized rows.
 * The first real render then runs optimised code with compiled control templates, a ready canvas backend and
 * loaded fonts, instead of paying for all of that cold (on a cold page it is about 3× slower than warm). The
 * made-up report is never shown and never leaves this module.
 */
import type { ImportanceViewData, SelectionView } from '../../src/protocol/importanceProtocol';
import { Controller } from './controller';
import type { HeatmapSpec } from './canvasHeatmap';
import { SEQUENTIAL, logNormalizer } from '../shared/colorScale';
import { binColumns, cumulativeShare, displayOrder, logDomain, maskOf, relativeToMean, topOverlap } from './derive';
import { binColors } from './heatmapImage';
import { h } from '../shared/dom';
import { Panel } from './panel';
import { emptyJob, initialUi, type PanelState } from './state';
import type { Theme } from '../shared/theme';

export function warmUp(theme: Theme): void {
  const data = tinyView();
  const state: PanelState = { data, ui: initialUi(undefined, data), selection: null, selecting: false, inputError: null, selectError: null, scoring: emptyJob(), budget: emptyJob(), subclone: emptyJob(), paintVersion: 0 };
  const controller = new Controller(state, { post: () => undefined, saveUi: () => undefined }, () => undefined);
  const panel = new Panel(data, controller);
  const hidden = h('div', { hidden: '', 'aria-hidden': 'true' }, panel.el);
  document.body.append(hidden);
  panel.paint({ s: state, theme, width: 1000, controller });
  state.selection = tinySelection(data);
  panel.paint({ s: state, theme, width: 1000, controller });
  hidden.remove();
  warmLoops(theme);
}

/** The per-cell loops at report size, a few times each, so they are optimised before the report comes. */
function warmLoops(theme: Theme): void {
  const rows = Array.from({ length: 8 }, (_, r) => relativeToMean(Float32Array.from({ length: 8192 }, (_, i) => ((i * 7919 + r * 31) % 1009) / 1009 + 0.01)));
  const orders = rows.map(displayOrder);
  const [lo, hi] = logDomain(rows);
  const mask = maskOf(8192, Array.from({ length: 4096 }, (_, i) => i * 2));
  const bins = binColumns(8192, 1000);
  for (let k = 0; k < 3; k++) {
    for (const sorted of [false, true]) {
      const spec: HeatmapSpec = {
        rows: 8, cols: 8192, values: rows, order: (r) => (sorted ? orders[r] : null), sortedOrder: sorted, lut: SEQUENTIAL, norm: logNormalizer(lo, hi),
        kept: () => (k ? mask : null), rowLabel: String, rowLabelWidth: 0, rowHeight: 1, describe: () => ({ title: '', lines: [] }), label: '',
      };
      binColors(spec, bins, theme);
    }
    for (const row of rows) topOverlap(row, [...mask.keys()].slice(0, 512), orders[0]);
    cumulativeShare(rows[k]);
  }
}

function tinyView(): ImportanceViewData {
  const L = 3, D = 64, H = 4, KV = 2, F = 256;
  const wave = (n: number, s: number) => Array.from({ length: n }, (_, i) => 0.1 + ((i * 37 + s * 11) % 97) / 97);
  const shape = { layers: L, dModel: D, heads: H, kvHeads: KV, ffn: F };
  const square = (n: number) => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0.5)));
  return {
    fileName: 'warm-up', path: 'warm-up',
    report: {
      version: 1,
      model: { file: 'warm-up', family: 'llama', dims: { layers: L, dModel: D, heads: H, kvHeads: KV, headDim: 16, ffn: F, vocab: 10, context: 10 } },
      calibration: { source: 'text', path: 'warm-up', samples: 1, tokens: 1, sequenceLength: 1, fallback: false, tokenizer: null, seed: 0 },
      embedding: { ranking: Array.from({ length: D }, (_, i) => i), scores: wave(D, 0), perLayer: Array.from({ length: L + 1 }, (_, p) => wave(D, p)), agreement: { spearman: square(L + 1), topK: D / 2, topKOverlap: square(L + 1) } },
      ffn: Array.from({ length: L }, (_, b) => wave(F, b)),
      heads: Array.from({ length: L }, (_, b) => wave(H, b)),
      kvGroups: Array.from({ length: L }, (_, b) => wave(KV, b)),
      blocks: { relativeMagnitude: wave(L, 1), oneMinusCos: wave(L, 2) },
      run: { provider: 'cpu', seconds: 1, createdAt: '2000-01-01T00:00:00.000Z' },
    },
    model: { file: 'warm-up', name: 'warm-up', sha256: null },
    parent: { shape, parameters: 1000 },
    presets: [{ id: 'half-both', label: 'half', shape: { ...shape, layers: 2, dModel: 32, heads: 2, kvHeads: 1, ffn: 128 }, parameters: 300 }],
    consistency: { sentence: '', threshold: 0.7, runs: [{ first: 0, last: 2 }], neighbourRho: [0.8, 0.5] },
    outliers: [{ neuron: 1, rank: 0, share: 0.1, ratioToMedian: 5, point: 1 }],
    subcloneRuns: [],
    actionsEnabled: true, actionsDisabledReason: null,
    lossScoring: { available: true, reason: null },
  };
}

function tinySelection(data: ImportanceViewData): SelectionView {
  const shape = data.presets[0].shape;
  const half = (n: number) => Array.from({ length: n / 2 }, (_, i) => i * 2);
  const per = <T,>(f: () => T) => Array.from({ length: data.report.model.dims.layers }, f);
  return {
    shape, policy: 'loss', ok: true, message: null, parameters: 300, parentParameters: 1000, blocks: [0, 2], scoreCount: 2,
    policies: { loss: [0, 2], magnitude: [0, 1], first: [0, 1], middle: [0, 2] },
    search: { shape, chosen: [0, 2], method: 'exhaustive', metric: 'loss', candidates: [{ blocks: [0, 2], loss: 1 }, { blocks: [0, 1], loss: 2 }], source: { kind: 'search' } },
    kept: { embedding: half(64), ffn: per(() => half(256)), heads: per(() => [0, 1]), kvGroups: per(() => [0]) },
    shares: { embedding: 0.6, ffn: per(() => 0.6), heads: per(() => 0.5) },
    onnxOnly: null,
  };
}
