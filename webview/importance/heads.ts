/**
 * Attention heads: a blocks × heads grid (colour: score relative to the block's mean), KV groups outlined under
 * grouped-query attention (query head h is in group floor(h / (H / KV))), unkept heads dimmed, dropped blocks
 * greyed, and the share of head importance kept at the end of each row.
 */
import type { ImportanceViewData } from '../../src/protocol/importanceProtocol';
import { CanvasHeatmap } from './canvasHeatmap';
import { SEQUENTIAL, logNormalizer, ratioTicks } from '../shared/colorScale';
import { logDomain, maskOf, relativeToMean } from './derive';
import { h, section, srOnly } from '../shared/dom';
import { formatPercent, formatRatio, formatScore } from './format';
import { colorLegend, keptLegend } from './legend';
import { Memo, type PaintContext, type Section } from './paint';
import { canvasFont } from '../shared/theme';

export function createHeads(data: ImportanceViewData): Section {
  const r = data.report;
  const L = r.heads.length;
  const H = r.model.dims.heads;
  const KV = r.model.dims.kvHeads;
  const perGroup = KV < H ? H / KV : 1;
  const relative = r.heads.map(relativeToMean);
  const [lo, hi] = logDomain(relative, 2);
  const norm = logNormalizer(lo, hi);
  const grid = new CanvasHeatmap('heads-grid');
  const legends = h('div', { class: 'legends' });
  const summary = srOnly('');
  const gqa = KV < H ? ` Grouped-query attention: ${KV} KV groups of ${perGroup} query heads, outlined; a group is kept or dropped whole.` : '';
  const el = section('heads', 'Attention heads', `Mean ‖context‖₂ of each query head per block, relative to the block’s mean.${gqa}`, h('div', { class: 'controls' }, legends), grid.el, summary);
  const memo = new Memo();
  return {
    el,
    paint({ s, theme, width }: PaintContext) {
      if (!memo.changed(s.selection, s.paintVersion)) return;
      const sel = s.selection;
      const masks = sel?.kept ? sel.kept.heads.map((k) => maskOf(H, k)) : null;
      const blocks = sel?.blocks ?? null;
      const dropped = blocks ? Array.from({ length: L }, (_, b) => !blocks.includes(b)) : undefined;
      const shares = sel?.shares?.heads ?? null;
      const cell = Math.max(10, Math.min(48, Math.floor((width - 78 - 90) / H)));
      legends.replaceChildren(colorLegend('score ÷ block mean (log)', SEQUENTIAL, ratioTicks(lo, hi, norm)), keptLegend(theme, SEQUENTIAL, false));
      grid.draw(
        {
          rows: L,
          cols: H,
          values: relative,
          order: () => null,
          lut: SEQUENTIAL,
          norm,
          kept: (b) => masks?.[b] ?? null,
          droppedRows: dropped,
          rowLabel: (b) => `block ${b}`,
          colLabel: (hd) => String(hd),
          rowLabelWidth: 78,
          rowHeight: Math.max(10, Math.min(24, cell, Math.floor(420 / L))),
          cellWidth: cell,
          rightGutter: 90,
          cellText: (b, hd) => formatScore(r.heads[b][hd]),
          decorate: (ctx, g) => {
            ctx.strokeStyle = g.theme.foreground;
            ctx.lineWidth = 2;
            if (perGroup > 1) for (let gi = 0; gi < KV; gi++) ctx.strokeRect(g.left + gi * perGroup * g.colWidth + 1, g.top + 1, perGroup * g.colWidth - 2, g.height - 2);
            if (!shares) return;
            ctx.font = canvasFont(g.theme, 11);
            ctx.textAlign = 'left';
            ctx.textBaseline = 'middle';
            shares.forEach((v, b) => {
              ctx.fillStyle = dropped?.[b] ? g.theme.muted : g.theme.foreground;
              ctx.fillText(`${formatPercent(v, 0)} kept`, g.left + g.width + 10, g.top + (b + 0.5) * g.rowHeight);
            });
          },
          describe: (b, hd) => ({
            title: `Block ${b} · head ${hd}`,
            lines: [
              ['score (mean ‖context‖)', formatScore(r.heads[b][hd])],
              ['× block mean', formatRatio(relative[b][hd])],
              ...(perGroup > 1 ? ([['KV group', `${Math.floor(hd / perGroup)} (score ${formatScore(r.kvGroups[b][Math.floor(hd / perGroup)])})`]] as [string, string][]) : []),
              ...(masks ? ([['kept', masks[b][hd] ? 'yes' : 'no']] as [string, string][]) : []),
              ...(dropped?.[b] ? ([['block', 'dropped by this shape']] as [string, string][]) : []),
            ],
          }),
          label: `Attention head importance, ${L} blocks × ${H} heads${KV < H ? ` in ${KV} KV groups` : ''}${sel?.kept ? `; ${sel.kept.heads[0]?.length ?? 0} heads kept per block` : ''}. Arrow keys move the cursor.`,
        },
        theme,
        width,
      );
      summary.textContent = sel?.kept ? `Kept heads per block: ${sel.kept.heads.map((k, b) => `block ${b}: ${k.join(', ')}`).join('; ')}.` : '';
    },
  };
}
