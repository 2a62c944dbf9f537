/**
 * FFN units: blocks × units (log colour, each block relative to its mean), sorted within each block by default so
 * each row is the block's sorted score profile and the kept f shows as a boundary; unkept units are dimmed and
 * dropped blocks greyed. Below, the share of FFN importance each block keeps.
 */
import type { ImportanceViewData } from '../../src/protocol/importanceProtocol';
import { CanvasHeatmap } from './canvasHeatmap';
import { Chart, barPaths, shadeCategories } from '../shared/charts';
import { SEQUENTIAL, logNormalizer, ratioTicks } from '../shared/colorScale';
import type { Controller } from './controller';
import { displayOrder, logDomain, maskOf, rankOf, relativeToMean } from './derive';
import { h, section, srOnly } from '../shared/dom';
import { formatInt, formatPercent, formatRatio, formatScore } from './format';
import { colorLegend, keptLegend } from './legend';
import { Memo, type PaintContext, type Section } from './paint';
import { orderToggle } from '../shared/toggle';

interface FfnModel {
  L: number;
  /** The widest block's unit count (blocks with fewer units are padded with zeros). */
  F: number;
  relative: Float32Array[];
  domain: [number, number];
  orders: Int32Array[] | null;
}

function model(data: ImportanceViewData): FfnModel {
  const ffn = data.report.ffn;
  const F = Math.max(1, ...ffn.map((r) => r.length));
  const relative = ffn.map((row) => {
    const rel = relativeToMean(row);
    if (rel.length === F) return rel;
    const padded = new Float32Array(F);
    padded.set(rel);
    return padded;
  });
  return { L: ffn.length, F, relative, domain: logDomain(relative), orders: null };
}

/** Per block, units by score (computed on first use: the rank view is the default, so usually at once). */
function ordersOf(m: FfnModel): Int32Array[] {
  return (m.orders ??= m.relative.map(displayOrder));
}

export function createFfn(data: ImportanceViewData, controller: Controller): Section {
  const m = model(data);
  const heatmap = new CanvasHeatmap('ffn-heatmap');
  const shares = new Chart('ffn-shares');
  const caption = h('p', { class: 'axis-caption' });
  const legends = h('div', { class: 'legends' });
  const summary = srOnly('');
  const toggle = orderToggle('Order', [['rank', 'rank within block'], ['index', 'unit index']], controller.state.ui.ffnOrder, (v) => controller.setUi({ ffnOrder: v }));
  const el = section(
    'ffn',
    'FFN units',
    'Mean |hidden activation| of every FFN unit per block, relative to the block’s mean (log colour). Sorted within each block, a row is the block’s score profile and the kept units are the bright left part.',
    h('div', { class: 'controls' }, toggle, legends),
    heatmap.el,
    caption,
    summary,
    h('figure', { class: 'figure' }, h('figcaption', {}, 'Share of each block’s FFN importance kept (shaded: blocks the shape keeps)'), shares.el),
  );
  const memo = new Memo();
  return {
    el,
    paint({ s, theme, width }: PaintContext) {
      if (!memo.changed(s.selection, s.ui.ffnOrder, s.paintVersion)) return;
      const sel = s.selection;
      const masks = sel?.kept ? sel.kept.ffn.map((k) => maskOf(m.F, k)) : null;
      const blocks = sel?.blocks ?? null;
      const dropped = blocks ? Array.from({ length: m.L }, (_, b) => !blocks.includes(b)) : undefined;
      const byRank = s.ui.ffnOrder === 'rank';
      const orders = byRank ? ordersOf(m) : null;
      const [lo, hi] = m.domain;
      const norm = logNormalizer(lo, hi);
      legends.replaceChildren(colorLegend('score ÷ block mean (log)', SEQUENTIAL, ratioTicks(lo, hi, norm)), keptLegend(theme, SEQUENTIAL, false));
      heatmap.draw(
        {
          rows: m.L,
          cols: m.F,
          values: m.relative,
          order: (r) => (orders ? orders[r] : null),
          sortedOrder: true,
          lut: SEQUENTIAL,
          norm,
          kept: (r) => masks?.[r] ?? null,
          droppedRows: dropped,
          rowLabel: (r) => `block ${r}`,
          rowLabelWidth: 78,
          rowHeight: Math.max(8, Math.min(22, Math.floor(260 / m.L))),
          describe: (r, a, b) => describeUnits(data, m, r, a, b, orders?.[r] ?? null, masks?.[r] ?? null, dropped?.[r] ?? false),
          label: `FFN unit importance, ${m.L} blocks × ${m.F} units${sel?.kept ? `; ${sel.kept.ffn[0]?.length ?? 0} kept per block` : ''}. Arrow keys move the cursor.`,
        },
        theme,
        width,
      );
      const axis = byRank ? 'Units by rank within their block (0 = most important)' : 'FFN unit index';
      const bins = heatmap.columnBins;
      caption.textContent = bins < m.F ? `${axis} · ${formatInt(m.F)} units in ${formatInt(bins)} pixel columns, each showing the maximum of its ~${Math.round(m.F / bins)} units` : axis;
      summary.textContent = sel?.shares ? `Kept FFN importance per block: ${sel.shares.ffn.map((v, b) => `block ${b} ${formatPercent(v)}`).join(', ')}.` : '';
      renderShares(shares, sel?.shares?.ffn ?? null, blocks, theme, width, 'FFN');
    },
  };
}

function describeUnits(data: ImportanceViewData, m: FfnModel, r: number, a: number, b: number, order: Int32Array | null, mask: Uint8Array | null, dropped: boolean) {
  const row = data.report.ffn[r];
  const at = (p: number) => (order ? order[p] : p);
  let best = at(a);
  let keptIn = 0;
  for (let p = a; p < b; p++) {
    const j = at(p);
    if ((row[j] ?? -1) > (row[best] ?? -1)) best = j;
    if (mask?.[j]) keptIn++;
  }
  const rank = rankOf(row, best);
  const lines: [string, string][] = [
    ['score (mean |act|)', formatScore(row[best] ?? 0)],
    ['× block mean', formatRatio(m.relative[r][best])],
    ['rank in block', `${rank} of ${row.length}`],
  ];
  if (b - a > 1) lines.unshift(['bin', `${b - a} ${order ? 'ranks' : 'units'} ${a}–${b - 1}, max shown`]);
  if (mask) lines.push(['kept', b - a > 1 ? `${keptIn} of ${b - a}` : keptIn ? 'yes' : 'no']);
  if (dropped) lines.push(['block', 'dropped by this shape']);
  return { title: `Block ${r} · unit ${best}`, lines };
}

/** Bars of the share of importance kept per block; kept blocks shaded. Shared with the heads view. */
export function renderShares(chart: Chart, shares: number[] | null, blocks: number[] | null, theme: PaintContext['theme'], width: number, what: string): void {
  const L = shares?.length ?? 0;
  const values = shares ? shares.map((v) => v * 100) : [];
  chart.render(
    {
      label: shares ? `Share of ${what} importance kept per block: ${values.map((v, b) => `block ${b} ${v.toFixed(0)}%`).join(', ')}.` : `Share of ${what} importance kept: no selection yet.`,
      height: 150,
      xLabel: 'block',
      yLabel: 'kept',
      categories: Array.from({ length: L }, (_, b) => String(b)),
      scales: { y: { range: [0, 100] } },
      yValues: (v) => `${v}%`,
      series: [{ label: `${what} importance kept`, stroke: theme.accent, fill: theme.accentFill, width: 1, paths: barPaths(0, 0.6), points: { show: false }, value: (_u, v) => (v === null ? '' : `${v.toFixed(1)}%`) }],
      data: [values.map((_, i) => i), values],
      under: (u) => {
        if (blocks) shadeCategories(u, blocks, theme.accentBand);
      },
    },
    theme,
    width,
  );
}
