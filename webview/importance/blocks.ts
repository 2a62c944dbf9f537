/**
 * Blocks: how much each block changes the stream (relative magnitude and 1 − cos, kept blocks shaded), which
 * blocks each policy keeps at this depth, and the loss-guided search: Score N candidates when this shape has not
 * been scored, the candidates' calibration losses when it has.
 */
import type { BlockSearchView, ImportanceViewData, PanelBlockPolicy } from '../../src/protocol/importanceProtocol';
import { Chart, barPaths, shadeCategories } from '../shared/charts';
import type { Controller } from './controller';
import { button, h, progressLine, section, setEnabled } from '../shared/dom';
import { formatIndexList, formatScore, plural } from './format';
import { Memo, type PaintContext, type Section } from './paint';
import { POLICY_NAMES } from './picker';
import { sameShape, type PanelState } from './state';

const POLICIES: PanelBlockPolicy[] = ['loss', 'magnitude', 'first', 'middle'];
const SHOWN_CANDIDATES = 12;

export function createBlocks(data: ImportanceViewData, controller: Controller): Section {
  const b = data.report.blocks;
  const measured = b.relativeMagnitude.length > 0;
  const chart = new Chart('block-magnitudes');
  const policies = h('div', { class: 'policies' });
  const search = h('div', { class: 'search' });
  const el = section(
    'blocks',
    'Blocks',
    'How much each block changes the residual stream, averaged over tokens: ‖f(x)‖ / ‖x + f(x)‖ (the paper drops the blocks with the smallest) and 1 − cos(x_in, x_out).',
    measured ? h('figure', { class: 'figure' }, h('figcaption', {}, 'Block update size (shaded: blocks the shape keeps)'), chart.el) : h('p', { class: 'callout' }, 'Block magnitudes are not measured without data (this report is data-free).'),
    h('div', { class: 'two-up' }, h('figure', { class: 'figure' }, h('figcaption', {}, 'Blocks each policy keeps at this depth'), policies), search),
  );
  const memo = new Memo();
  return {
    el,
    paint({ s, theme, width }: PaintContext) {
      if (!memo.changed(s.selection, s.ui.policy, s.scoring.job, s.scoring.job?.progress, s.scoring.error, s.scoring.result, s.paintVersion)) return;
      if (measured) renderMagnitudes(chart, data, s.selection?.blocks ?? null, theme, width);
      policies.replaceChildren(policyTable(data, s));
      search.replaceChildren(...searchView(data, s, controller));
    },
  };
}

function renderMagnitudes(chart: Chart, data: ImportanceViewData, kept: number[] | null, theme: PaintContext['theme'], width: number): void {
  const { relativeMagnitude: mag, oneMinusCos: cos } = data.report.blocks;
  chart.render(
    {
      label: `Block update size per block: relative magnitude ${mag.map((v, i) => `${i}: ${formatScore(v)}`).join(', ')}; 1 − cos ${cos.map((v, i) => `${i}: ${formatScore(v)}`).join(', ')}${kept ? `; kept blocks ${formatIndexList(kept)}` : ''}.`,
      height: 190,
      xLabel: 'block',
      yLabel: 'per token (mean)',
      categories: mag.map((_, i) => String(i)),
      scales: { y: { range: [0, Math.max(1, ...mag, ...cos) * 1.05] } },
      series: [
        { label: '‖f(x)‖ / ‖x + f(x)‖', stroke: theme.accent, fill: theme.accentFill, width: 1, paths: barPaths(-1, 0.7), points: { show: false }, value: (_u, v) => (v === null ? '' : formatScore(v)) },
        { label: '1 − cos(x_in, x_out)', stroke: theme.second, fill: theme.second, width: 1, paths: barPaths(1, 0.7), points: { show: false }, value: (_u, v) => (v === null ? '' : formatScore(v)) },
      ],
      data: [mag.map((_, i) => i), mag, cos],
      under: (u) => {
        if (kept) shadeCategories(u, kept, theme.accentBand);
      },
    },
    theme,
    width,
  );
}

function policyTable(data: ImportanceViewData, s: PanelState): HTMLElement {
  const L = data.report.model.dims.layers;
  const sel = s.selection;
  const head = h('tr', {}, h('th', {}, 'policy'), ...Array.from({ length: L }, (_, i) => h('th', { class: 'num' }, String(i))));
  const rows = POLICIES.map((p) => {
    const kept = sel ? (p === sel.policy && sel.blocks ? sel.blocks : sel.policies[p]) : null;
    const name = POLICY_NAMES[p].split(' (')[0];
    const cells = kept
      ? Array.from({ length: L }, (_, i) => h('td', { class: kept.includes(i) ? 'dot kept' : 'dot', title: `block ${i} ${kept.includes(i) ? 'kept' : 'dropped'}` }, kept.includes(i) ? '●' : '·'))
      : [h('td', { class: 'muted', colspan: String(L) }, p === 'loss' ? (data.lossScoring.available ? 'not scored for this shape yet' : data.lossScoring.reason ?? 'not available') : 'not available without block magnitudes')];
    return h('tr', { class: p === s.ui.policy ? 'current' : '' }, h('th', { scope: 'row' }, name), ...cells);
  });
  return h('table', { class: 'table policy-table', 'data-testid': 'policy-table' }, h('thead', {}, head), h('tbody', {}, ...rows));
}

function searchView(data: ImportanceViewData, s: PanelState, controller: Controller): Node[] {
  const sel = s.selection;
  const shape = s.ui.shape;
  const scored = sel?.search ?? (s.scoring.result && shape && sameShape(s.scoring.result.shape, shape) ? s.scoring.result : null);
  const out: Node[] = [h('h3', {}, 'Loss-guided search')];
  if (s.scoring.job) {
    out.push(progressLine(s.scoring.job.progress?.message ?? 'Scoring candidates…', s.scoring.job.progress?.fraction, () => controller.cancel(s.scoring)));
  } else if (sel && sel.policy === 'loss' && sel.blocks === null) {
    const n = sel.scoreCount;
    const score = button(`Score ${n} Candidates`, 'primary', () => controller.scoreBlocks(), { 'data-testid': 'score-blocks-button' });
    const reason = !data.actionsEnabled ? data.actionsDisabledReason : !data.lossScoring.available ? data.lossScoring.reason : null;
    setEnabled(score, reason === null, reason);
    out.push(h('p', {}, `Not scored for this shape yet: each of the ${plural(n, 'block subset')} that keep block 0 is built and its calibration loss measured.`), score);
    if (reason) out.push(h('p', { class: 'muted' }, reason));
  }
  if (s.scoring.error) out.push(h('p', { class: 'error' }, s.scoring.error));
  if (scored) out.push(candidateList(scored));
  else if (!s.scoring.job && !(sel?.policy === 'loss' && sel.blocks === null)) out.push(h('p', { class: 'muted' }, 'No loss-guided search for this shape yet; choose “loss-guided” as the block policy to score one.'));
  return out;
}

function candidateList(search: BlockSearchView): HTMLElement {
  const sorted = [...search.candidates].sort((a, b) => a.loss - b.loss);
  const shown = sorted.slice(0, SHOWN_CANDIDATES);
  const lo = sorted[0]?.loss ?? 0;
  const hi = sorted[sorted.length - 1]?.loss ?? 1;
  const base = lo - (hi - lo) * 0.15;
  const chosen = formatIndexList(search.chosen);
  const rows = shown.map((c) => {
    const fill = h('div', { class: 'fill' });
    fill.style.width = `${(((c.loss - base) / (hi - base || 1)) * 100).toFixed(1)}%`;
    const isChosen = formatIndexList(c.blocks) === chosen;
    return h('div', { class: `candidate${isChosen ? ' chosen' : ''}` }, h('span', { class: 'blocks' }, formatIndexList(c.blocks)), h('div', { class: 'track' }, fill), h('span', { class: 'value' }, c.loss.toFixed(3)));
  });
  const source = search.source.kind === 'subclone' ? ` · from ${search.source.folder}` : '';
  return h(
    'figure',
    { class: 'figure', 'data-testid': 'block-candidates' },
    h('figcaption', {}, `Calibration loss of each block subset (${search.metric}), lowest first`),
    ...rows,
    h('p', { class: 'muted small' }, `${plural(search.candidates.length, 'candidate')}, ${search.method}${sorted.length > shown.length ? `; the best ${shown.length} shown` : ''}; chosen: blocks ${chosen}${source}.`),
  );
}
