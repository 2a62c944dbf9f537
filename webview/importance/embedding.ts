/**
 * Embedding neurons: the points × neurons heatmap (log colour, each point relative to its mean), ordered by index
 * or global rank, with the kept neurons marked; the cumulative share of importance against the neurons kept; the
 * outlier neurons.
 */
import type { ImportanceViewData } from '../../src/protocol/importanceProtocol';
import { CanvasHeatmap } from './canvasHeatmap';
import { Chart } from '../shared/charts';
import { SEQUENTIAL, logNormalizer, ratioTicks } from '../shared/colorScale';
import type { Controller } from './controller';
import { cumulativeShare, inverseOrder, logDomain, maskOf, relativeToMean, shareAt } from './derive';
import { h, section, srOnly } from '../shared/dom';
import { formatInt, formatPercent, formatRatio, formatScore, plural, pointName } from './format';
import { colorLegend, keptLegend } from './legend';
import { Memo, columnWidth, type PaintContext, type Section } from './paint';
import { orderToggle } from '../shared/toggle';
import type { TooltipContent } from '../shared/tooltip';

/** What the heatmap and the curve need from the report, computed once per report. */
interface EmbeddingModel {
  D: number;
  points: number;
  relative: Float32Array[];
  domain: [number, number];
  rankOrder: Int32Array;
  rankOf: Int32Array;
  curve: Float64Array;
  total: number;
}

function model(data: ImportanceViewData): EmbeddingModel {
  const e = data.report.embedding;
  const relative = e.perLayer.map(relativeToMean);
  const rankOrder = Int32Array.from(e.ranking);
  return { D: e.scores.length, points: e.perLayer.length, relative, domain: logDomain(relative), rankOrder, rankOf: inverseOrder(rankOrder), curve: cumulativeShare(e.scores), total: e.scores.reduce((a, b) => a + b, 0) };
}

export function createEmbedding(data: ImportanceViewData, controller: Controller): Section {
  const m = model(data);
  const heatmap = new CanvasHeatmap('embedding-heatmap');
  const curve = new Chart('cumulative-share');
  const count = h('span', { 'data-testid': 'kept-neuron-count' }, '0');
  const keptLine = h('p', { class: 'kept-line' });
  const caption = h('p', { class: 'axis-caption' });
  const legends = h('div', { class: 'legends' });
  const outliers = h('div', { class: 'outliers' });
  const summary = srOnly('');
  const toggle = orderToggle('Order', [['index', 'original index'], ['rank', 'global rank']], controller.state.ui.embeddingOrder, (v) => controller.setUi({ embeddingOrder: v }));
  const el = section(
    'embedding',
    'Embedding neurons',
    'Mean |h| of each residual-stream neuron at every point (the embedding output, then after each block), divided by that point’s mean so points of different scale share one log colour scale. The subclone keeps the top-d neurons of the global ranking.',
    h('div', { class: 'controls' }, toggle, keptLine, legends),
    heatmap.el,
    caption,
    summary,
    h('div', { class: 'two-up' }, h('figure', { class: 'figure' }, h('figcaption', {}, 'Cumulative share of global importance by neurons kept'), curve.el), outliers),
  );
  const memo = new Memo();
  return {
    el,
    paint({ s, theme, width }: PaintContext) {
      if (!memo.changed(s.selection, s.ui.embeddingOrder, s.paintVersion)) return;
      const kept = s.selection?.kept?.embedding ?? null;
      const mask = kept ? maskOf(m.D, kept) : null;
      const byRank = s.ui.embeddingOrder === 'rank';
      count.textContent = String(kept?.length ?? 0);
      keptLine.replaceChildren(count, ` of ${plural(m.D, 'neuron')} kept`, kept && s.selection?.shares ? ` · ${formatPercent(s.selection.shares.embedding)} of the global importance` : '');
      const [lo, hi] = m.domain;
      const norm = logNormalizer(lo, hi);
      legends.replaceChildren(colorLegend('score ÷ point mean (log)', SEQUENTIAL, ratioTicks(lo, hi, norm)), keptLegend(theme, SEQUENTIAL, true));
      heatmap.draw(
        {
          rows: m.points,
          cols: m.D,
          values: m.relative,
          order: () => (byRank ? m.rankOrder : null),
          lut: SEQUENTIAL,
          norm,
          kept: () => mask,
          strip: mask,
          rowLabel: (r) => (r === 0 ? 'embedding' : `block ${r - 1}`),
          rowLabelWidth: 78,
          rowHeight: Math.max(10, Math.min(26, Math.floor(300 / m.points))),
          describe: (r, a, b) => describeNeurons(data, m, r, a, b, byRank, mask),
          label: `Embedding neuron importance, ${m.points} points × ${m.D} neurons; top neurons ${[...m.rankOrder.slice(0, 3)].join(', ')}; ${kept ? `${kept.length} kept` : 'no selection yet'}. Arrow keys move the cursor.`,
        },
        theme,
        width,
      );
      caption.textContent = axisCaption(m.D, heatmap, byRank);
      summary.textContent = summaryText(data, m, kept);
      renderCurve(curve, m, kept?.length ?? null, theme, columnWidth(width));
      outliers.replaceChildren(outlierTable(data, kept));
    },
  };
}

function axisCaption(D: number, heatmap: CanvasHeatmap, byRank: boolean): string {
  const axis = byRank ? 'Neurons by global rank (0 = most important), left to right' : 'Neuron index';
  const bins = heatmap.columnBins;
  return bins < D ? `${axis} · ${formatInt(D)} neurons in ${formatInt(bins)} pixel columns, each showing the maximum of its ~${Math.round(D / bins)} neurons` : axis;
}

function describeNeurons(data: ImportanceViewData, m: EmbeddingModel, r: number, a: number, b: number, byRank: boolean, mask: Uint8Array | null): TooltipContent {
  const e = data.report.embedding;
  const at = (p: number) => (byRank ? m.rankOrder[p] : p);
  let best = at(a);
  let keptIn = 0;
  for (let p = a; p < b; p++) {
    const j = at(p);
    if (e.perLayer[r][j] > e.perLayer[r][best]) best = j;
    if (mask?.[j]) keptIn++;
  }
  const lines: [string, string][] = [
    ['point', pointName(r)],
    ['score (mean |h|)', formatScore(e.perLayer[r][best])],
    ['× point mean', formatRatio(m.relative[r][best])],
    ['global rank', `${m.rankOf[best]} of ${m.D}`],
    ['global share', formatPercent(e.scores[best] / m.total, 2)],
  ];
  if (b - a > 1) lines.unshift(['bin', `${b - a} ${byRank ? 'ranks' : 'neurons'} ${a}–${b - 1}, max shown`]);
  if (mask) lines.push(['kept', b - a > 1 ? `${keptIn} of ${b - a}` : keptIn ? 'yes' : 'no']);
  return { title: `Neuron ${best}`, lines };
}

function summaryText(data: ImportanceViewData, m: EmbeddingModel, kept: readonly number[] | null): string {
  const top = [...m.rankOrder.slice(0, 5)].join(', ');
  const d = kept?.length ?? 0;
  const share = kept ? ` The current shape keeps ${d} neurons, ${formatPercent(shareAt(m.curve, d))} of the global importance (the top ${d}).` : '';
  const o = data.outliers[0];
  const out = o ? ` The strongest outlier, neuron ${o.neuron}, reaches ${formatRatio(o.ratioToMedian)} its point’s median ${pointName(o.point)}.` : '';
  return `The most important neurons overall are ${top}.${share}${out}`;
}

function renderCurve(chart: Chart, m: EmbeddingModel, d: number | null, theme: PaintContext['theme'], width: number): void {
  const xs: number[] = [];
  const ys: number[] = [];
  const uniform: number[] = [];
  for (let k = 0; k <= m.D; k++) {
    xs.push(k);
    ys.push(m.curve[k] * 100);
    uniform.push((k / m.D) * 100);
  }
  const at = d === null ? null : shareAt(m.curve, d);
  chart.render(
    {
      label: `Cumulative share of global embedding importance against neurons kept, 0 to ${m.D}${at === null ? '' : `; the current d = ${d} keeps ${formatPercent(at)}`}.`,
      height: 220,
      xLabel: 'neurons kept (top by global score)',
      yLabel: 'share of importance',
      yValues: (v) => `${v}%`,
      scales: { y: { range: [0, 100] } },
      series: [
        { label: 'top-k share', stroke: theme.accent, width: 2, value: (_u, v) => (v === null ? '' : `${v.toFixed(1)}%`) },
        { label: 'uniform (k / D)', stroke: theme.muted, dash: [4, 4], width: 1, value: (_u, v) => (v === null ? '' : `${v.toFixed(1)}%`) },
      ],
      data: [xs, ys, uniform],
      over: (u) => {
        if (d === null || at === null) return;
        const ctx = u.ctx;
        const x = u.valToPos(d, 'x', true);
        const y = u.valToPos(at * 100, 'y', true);
        const px = devicePixelRatio;
        ctx.save();
        ctx.strokeStyle = theme.second;
        ctx.lineWidth = px;
        ctx.setLineDash([3 * px, 3 * px]);
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top + u.bbox.height);
        ctx.lineTo(x, y);
        ctx.lineTo(u.bbox.left, y);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = theme.second;
        ctx.beginPath();
        ctx.arc(x, y, 4 * px, 0, 2 * Math.PI);
        ctx.fill();
        ctx.font = `${11 * px}px ${theme.fontFamily}`;
        ctx.textAlign = x > u.bbox.left + u.bbox.width * 0.7 ? 'right' : 'left';
        ctx.fillText(`d = ${d}: ${formatPercent(at)}`, x + (ctx.textAlign === 'right' ? -8 : 8) * px, y + 16 * px);
        ctx.restore();
      },
    },
    theme,
    width,
  );
}

function outlierTable(data: ImportanceViewData, kept: readonly number[] | null): HTMLElement {
  const keptSet = kept ? new Set(kept) : null;
  const rows = data.outliers.map((o) =>
    h('tr', {}, h('td', { class: 'num' }, String(o.neuron)), h('td', { class: 'num' }, String(o.rank)), h('td', { class: 'num' }, formatPercent(o.share, 2)), h('td', { class: 'num' }, formatRatio(o.ratioToMedian)), h('td', {}, pointName(o.point)), h('td', {}, keptSet ? (keptSet.has(o.neuron) ? '✓ kept' : '✕ dropped') : '—')),
  );
  return h(
    'figure',
    { class: 'figure' },
    h('figcaption', {}, `Outlier neurons (${data.outliers.length})`),
    data.outliers.length
      ? h('table', { class: 'table', 'data-testid': 'outliers' }, h('thead', {}, h('tr', {}, ...['neuron', 'global rank', 'share', '× median', 'strongest at', 'this shape'].map((t) => h('th', {}, t)))), h('tbody', {}, ...rows))
      : h('p', { class: 'muted' }, 'No neuron stands far above the rest of its point.'),
    h('p', { class: 'muted small' }, '“× median”: the neuron’s largest score divided by that point’s median score.'),
  );
}
