/**
 * The Verdict cell: the file's verdict (finished or saved; never computed here) as a headline, the target and the
 * best run of each init, the speed-up at equal learning rates, the warnings, the steps-to-loss chart and the
 * engine's sentence verbatim. No ▶: its marker is the Run cell's.
 */
import type { Verdict } from '../../src/protocol/convergenceProtocol';
import { Chart, type ChartSpec } from '../shared/charts';
import { h } from '../shared/dom';
import type { Theme } from '../shared/theme';
import { hideTooltip, showTooltip } from '../shared/tooltip';
import { cellFrame } from './cell';
import type { PanelModel } from './controller';
import { stepsToLossData, stepsToLossLabel } from './curves';
import { formatLoss, formatStep } from './format';
import { verdictPlaceholder, verdictView, type VerdictView } from './verdictText';

export interface VerdictCell {
  el: HTMLElement;
  paint(s: PanelModel, theme: Theme, width: number, force: boolean): void;
}

export function createVerdictCell(): VerdictCell {
  const frame = cellFrame({ id: 'verdict', testId: 'verdict-cell', title: 'Verdict', hint: 'from the file: the subclone’s steps to the best-tuned random init’s final validation loss' });
  const placeholder = h('p', { class: 'muted', 'data-testid': 'verdict-placeholder' });
  const content = h('div', { class: 'verdict' });
  const chart = new Chart('steps-to-loss-chart');
  const chartFigure = h('figure', { class: 'figure steps-to-loss' }, h('figcaption', {}, 'Steps to reach each validation loss (best runs)'), chart.el);
  frame.body.append(placeholder, content);

  let key = '';
  return {
    el: frame.el,
    paint(s, theme, width, force) {
      const running = s.run !== null;
      frame.setMarker(running ? 'running' : s.ui.markers.run, running ? 'Waiting for the sweep' : s.ui.markers.run === null ? 'No verdict yet' : `Verdict of execution ${s.ui.markers.run}`);
      const sweep = running ? null : s.sweep;
      const verdict = sweep?.content?.verdict ?? null;
      placeholder.hidden = verdict !== null;
      content.hidden = verdict === null;
      if (!verdict || !sweep?.content) {
        placeholder.textContent = !running && sweep && !sweep.content ? 'No verdict: the sweep stopped before its results were written.' : verdictPlaceholder(running);
        key = '';
        return;
      }
      const cancelled = sweep.phase === 'cancelled' || sweep.content.status === 'cancelled';
      const nextKey = JSON.stringify([sweep.file, sweep.version, cancelled]);
      if (force || nextKey !== key) {
        key = nextKey;
        content.replaceChildren(...verdictParts(verdictView(verdict, sweep.content.runs, cancelled), verdict.sentence, verdict.stepsToLoss.length ? chartFigure : null));
      }
      if (verdict.stepsToLoss.length) {
        const twoUp = width >= 900;
        chart.render(stepsToLossSpec(verdict, theme), theme, twoUp ? (width - 24) * 0.5 : width);
      }
    },
  };
}

function verdictParts(v: VerdictView, sentence: string, chart: HTMLElement | null): Node[] {
  const facts: [string, string][] = [];
  if (v.target) facts.push(['target', v.target]);
  for (const b of v.best) facts.push([b.init === 'subclone' ? 'best subclone' : 'best random init', b.text]);
  const parts: Node[] = [h('p', { class: `verdict-headline tone-${v.tone}`, 'data-testid': 'verdict-headline' }, v.headline)];
  if (v.detail) parts.push(h('p', { class: 'verdict-detail' }, v.detail));
  if (v.partial) parts.push(h('p', { class: 'callout partial', 'data-testid': 'verdict-partial' }, v.partial));
  for (const e of v.edges) parts.push(h('p', { class: 'callout warning', 'data-testid': 'verdict-edge' }, e));
  if (facts.length) parts.push(h('dl', { class: 'facts' }, ...facts.map(([k, t]) => h('div', {}, h('dt', {}, k), h('dd', {}, t)))));
  if (v.fastest) parts.push(h('p', { class: 'verdict-fastest', 'data-testid': 'verdict-fastest' }, v.fastest));
  const equal = v.equalLr.length ? equalLrTable(v) : null;
  if (equal || chart) parts.push(h('div', { class: 'verdict-grid' }, equal, chart));
  parts.push(h('blockquote', { class: 'verdict-sentence', 'data-testid': 'verdict-sentence' }, sentence));
  return parts;
}

function equalLrTable(v: VerdictView): HTMLElement {
  const head = h('tr', {}, ...['lr', 'random init’s final loss', 'subclone’s steps to it', 'speed-up'].map((t, i) => h('th', { scope: 'col', class: i ? 'num' : '' }, t)));
  const rows = v.equalLr.map((r) => h('tr', { class: r.reached ? '' : 'not-reached' }, h('td', {}, r.lr), h('td', { class: 'num' }, r.target), h('td', { class: 'num' }, r.steps), h('td', { class: 'num speedup' }, r.speedup)));
  return h('figure', { class: 'figure' }, h('figcaption', {}, 'At equal learning rates'), h('table', { class: 'table equal-lr', 'data-testid': 'equal-lr-table' }, h('thead', {}, head), h('tbody', {}, ...rows)));
}

function stepsToLossSpec(verdict: Verdict, theme: Theme): ChartSpec {
  const data = stepsToLossData(verdict.stepsToLoss);
  const value = (_u: unknown, v: number | null) => (v === null ? '' : formatStep(v));
  return {
    label: stepsToLossLabel(verdict),
    height: 260,
    xLabel: 'validation loss (falling →)',
    yLabel: 'steps',
    series: [
      { label: 'subclone', stroke: theme.accent, width: 2, value },
      { label: 'random init', stroke: theme.second, width: 2, value },
    ],
    data,
    // Loss falls as training goes on: the axis runs from high to low, so time reads left to right.
    scales: { x: { time: false, dir: -1 } },
    onCursor: (u) => {
      const idx = u.cursor.idx;
      if (idx === null || idx === undefined || (u.cursor.left ?? -1) < 0) return hideTooltip();
      const rect = u.over.getBoundingClientRect();
      const row = verdict.stepsToLoss.find((r) => r.loss === u.data[0][idx]);
      const lines: [string, string][] = [
        ['subclone', formatStep(u.data[1][idx] ?? NaN)],
        ['random init', formatStep(u.data[2][idx] ?? NaN)],
      ];
      if (row?.ratio) lines.push(['ratio', `${row.ratio.toFixed(1)}×`]);
      showTooltip({ title: `validation loss ${formatLoss(u.data[0][idx])}`, lines }, rect.left + (u.cursor.left ?? 0), rect.top + (u.cursor.top ?? 0));
    },
  };
}
