/**
 * Consistency, the paper's central assumption (one neuron ranking fits every layer): the Spearman ρ matrix of all
 * points, ρ between neighbouring blocks against the threshold, and how much of each point's own top-d the kept
 * set holds. The host's sentence says what the data show.
 */
import type { ImportanceViewData } from '../../src/protocol/importanceProtocol';
import { CanvasHeatmap } from './canvasHeatmap';
import { Chart, barPaths, horizontalRule } from '../shared/charts';
import { DIVERGING, linearNormalizer } from '../shared/colorScale';
import { displayOrder, topOverlap } from './derive';
import { h, section, srOnly } from '../shared/dom';
import { formatPercent, formatRho, pointName, pointShort } from './format';
import { colorLegend } from './legend';
import { Memo, columnWidth, type PaintContext, type Section } from './paint';

export function createConsistency(data: ImportanceViewData): Section {
  const e = data.report.embedding;
  const P = e.perLayer.length;
  const c = data.consistency;
  const matrix = new CanvasHeatmap('spearman-matrix');
  const neighbours = new Chart('neighbour-rho');
  const overlap = new Chart('top-d-overlap');
  const overlapCaption = h('figcaption', {}, 'Each point’s own top-d held by the kept neurons');
  const runs = c.runs.filter((r) => r.last > r.first);
  const runText = runs.length ? `Outlined: ${runs.map((r) => `blocks ${r.first}–${r.last}`).join(', ')}, whose neighbours all reach ρ ≥ ${c.threshold}.` : `No two neighbouring blocks reach ρ ≥ ${c.threshold}.`;
  const el = section(
    'consistency',
    'Consistency across layers',
    'Subcloning keeps one set of embedding neurons for every layer, which assumes the layers rank neurons alike. Spearman ρ between the neuron rankings of every pair of points:',
    h('p', { class: 'callout sentence', 'data-testid': 'consistency-sentence' }, c.sentence),
    h(
      'div',
      { class: 'two-up consistency' },
      h('figure', { class: 'figure' }, h('figcaption', {}, 'Spearman ρ between points’ neuron rankings'), matrix.el, h('p', { class: 'muted small' }, runText), colorLegend('ρ', DIVERGING, [-1, -0.5, 0, 0.5, 1].map((v) => ({ t: (v + 1) / 2, label: v === 0 ? '0' : `${v < 0 ? '\u2212' : ''}${Math.abs(v)}` })))),
      h('div', { class: 'stack' }, h('figure', { class: 'figure' }, h('figcaption', {}, `ρ between neighbouring blocks (threshold ${c.threshold})`), neighbours.el), h('figure', { class: 'figure' }, overlapCaption, overlap.el)),
    ),
    srOnly(`${c.sentence} ${runText}`),
  );
  // Each point's own ranking, for the overlap with the kept set (display precision is enough for a share); made
  // when the first selection arrives, not on first render.
  let orders: Int32Array[] | null = null;
  const layout = new Memo();
  const selected = new Memo();
  return {
    el,
    paint({ s, theme, width }: PaintContext) {
      const half = columnWidth(width);
      const kept = s.selection?.kept?.embedding ?? null;
      if (selected.changed(kept, s.paintVersion)) {
        if (kept) orders ??= e.perLayer.map(displayOrder);
        overlapCaption.textContent = kept ? `How much of each point’s own top-${kept.length} the kept neurons hold` : 'How much of each point’s own top-d the kept neurons hold (no selection yet)';
        renderOverlap(overlap, data, kept, orders, theme, half);
      }
      if (!layout.changed(s.paintVersion)) return;
      const cell = Math.max(8, Math.min(40, Math.floor(Math.min(half - 60, 440) / P)));
      matrix.draw(
        {
          rows: P,
          cols: P,
          values: e.agreement.spearman,
          order: () => null,
          lut: DIVERGING,
          norm: linearNormalizer(-1, 1),
          rowLabel: pointShort,
          colLabel: pointShort,
          rowLabelWidth: 36,
          rowHeight: cell,
          cellWidth: cell,
          cellText: (r, q) => formatRho(e.agreement.spearman[r][q]),
          decorate: (ctx, g) => {
            ctx.strokeStyle = g.theme.foreground;
            ctx.lineWidth = 2;
            for (const run of runs) {
              const a = run.first + 1;
              const n = run.last - run.first + 1;
              ctx.strokeRect(g.left + a * g.colWidth, g.top + a * g.rowHeight, n * g.colWidth, n * g.rowHeight);
            }
          },
          describe: (r, q) => ({
            title: `${pointName(r)} × ${pointName(q)}`,
            lines: [
              ['Spearman ρ', formatRho(e.agreement.spearman[r][q])],
              [`top-${e.agreement.topK} overlap`, `${formatPercent(e.agreement.topKOverlap[r][q])} (chance ${formatPercent(e.agreement.topK / e.scores.length)})`],
            ],
          }),
          label: `Spearman rank correlation matrix of ${P} points. ${c.sentence}`,
        },
        theme,
        half,
      );
      renderNeighbours(neighbours, data, theme, half);
      overlapCaption.textContent = kept ? `How much of each point’s own top-${kept.length} the kept neurons hold` : 'How much of each point’s own top-d the kept neurons hold (no selection yet)';
      renderOverlap(overlap, data, kept, orders, theme, half);
    },
  };
}

function renderNeighbours(chart: Chart, data: ImportanceViewData, theme: PaintContext['theme'], width: number): void {
  const c = data.consistency;
  const rho = c.neighbourRho;
  const below = rho.map((v) => (v < c.threshold ? v : null));
  const low = Math.min(0, ...rho) - 0.05;
  chart.render(
    {
      label: `ρ between neighbouring blocks: ${rho.map((v, b) => `${b}→${b + 1} ${formatRho(v)}`).join(', ')}; threshold ${c.threshold}.`,
      height: 170,
      xLabel: 'block pair',
      yLabel: 'Spearman ρ',
      categories: rho.map((_, b) => `${b}→${b + 1}`),
      scales: { y: { range: [low, 1] } },
      yValues: (v) => formatRho(v),
      series: [
        { label: 'ρ', stroke: theme.accent, width: 2, points: { size: 7, fill: theme.accent }, value: (_u, v) => (v === null ? '' : formatRho(v)) },
        { label: `below ${c.threshold}`, stroke: theme.error, width: 0, paths: () => null, points: { show: true, size: 9, fill: theme.error, stroke: theme.error }, value: (_u, v) => (v === null ? '' : formatRho(v)) },
      ],
      data: [rho.map((_, i) => i), rho, below],
      under: (u) => horizontalRule(u, c.threshold, theme.muted, `threshold ${c.threshold}`, theme),
    },
    theme,
    width,
  );
}

function renderOverlap(chart: Chart, data: ImportanceViewData, kept: readonly number[] | null, orders: Int32Array[] | null, theme: PaintContext['theme'], width: number): void {
  const e = data.report.embedding;
  const values = e.perLayer.map((row, p) => (kept && orders ? topOverlap(row, kept, orders[p]) * 100 : null));
  const chance = kept ? (kept.length / e.scores.length) * 100 : null;
  chart.render(
    {
      label: kept ? `Overlap of each point's top-${kept.length} with the kept neurons: ${values.map((v, p) => `${pointShort(p)} ${v!.toFixed(0)}%`).join(', ')}; chance ${chance!.toFixed(0)}%.` : 'Overlap with the kept neurons: no selection yet.',
      height: 170,
      xLabel: 'point',
      yLabel: 'overlap',
      categories: e.perLayer.map((_, p) => pointShort(p)),
      scales: { y: { range: [0, 100] } },
      yValues: (v) => `${v}%`,
      series: [{ label: 'overlap', stroke: theme.accent, fill: theme.accentFill, width: 1, paths: barPaths(0, 0.6), points: { show: false }, value: (_u, v) => (v === null ? '' : `${v.toFixed(1)}%`) }],
      data: [values.map((_, i) => i), values],
      over: (u) => {
        if (chance !== null) horizontalRule(u, chance, theme.muted, `chance ${chance.toFixed(0)}%`, theme);
      },
    },
    theme,
    width,
  );
}
