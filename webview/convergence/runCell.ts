/**
 * The Run cell: ▶ trains the sweep, Cancel stops it; the progress line (a live region), the runs table, the
 * legend and the two loss charts. The charts update in place as points arrive; the table is rebuilt per change.
 */
import { button, h, setEnabled } from '../shared/dom';
import type { Theme } from '../shared/theme';
import { cellFrame } from './cell';
import type { Controller, PanelModel } from './controller';
import { lineSample } from './lineSample';
import { LossCharts } from './lossCharts';
import { runStyles, type RunStyle } from './runStyles';
import { planPreview, progressText, summaryText } from './runText';
import { runsTable } from './runsTable';

export interface RunCell {
  el: HTMLElement;
  paint(s: PanelModel, theme: Theme, width: number, force: boolean): void;
}

export function createRunCell(controller: Controller): RunCell {
  const frame = cellFrame({
    id: 'run',
    testId: 'run-cell',
    title: 'Run',
    hint: '▶ trains every run of both sweeps on the same data',
    run: { testId: 'run-button', label: 'Run the sweep', onRun: () => controller.run() },
  });
  const cancel = button('Cancel', 'secondary', () => controller.cancel(), { 'data-testid': 'cancel-button' });
  const ring = h('vscode-progress-ring', {});
  const progressLabel = h('span', { class: 'progress-text', 'data-testid': 'run-progress-text' });
  const progressFill = h('span', { class: 'bar-fill' });
  const progressBar = h('span', { class: 'bar overall', 'aria-hidden': 'true' }, progressFill);
  const progress = h('div', { class: 'progress run-progress', role: 'status', 'aria-live': 'polite', 'data-testid': 'run-progress' }, ring, progressLabel, progressBar, cancel);
  const summary = h('p', { class: 'summary muted', 'data-testid': 'run-summary' });
  const message = h('p', { class: 'run-message', 'data-testid': 'run-message', role: 'alert' });
  const logToggle = h('vscode-checkbox', { 'data-testid': 'log-toggle' }, 'Log scale (loss)');
  logToggle.addEventListener('change', () => controller.setLogScale(Boolean((logToggle as HTMLElement & { checked?: boolean }).checked)));
  const tableSlot = h('div', { class: 'table-slot' });
  const legend = h('div', { class: 'run-legend', 'data-testid': 'run-legend' });
  const charts = new LossCharts();
  const chartGrid = h(
    'div',
    { class: 'loss-charts' },
    h('figure', { class: 'figure val' }, h('figcaption', {}, 'Validation loss'), charts.val.el),
    h('figure', { class: 'figure train' }, h('figcaption', {}, 'Training loss'), charts.train.el),
  );
  const results = h('div', { class: 'results' }, h('div', { class: 'results-head' }, legend, logToggle), chartGrid, tableSlot);
  const empty = h('p', { class: 'muted empty', 'data-testid': 'run-empty' });
  frame.body.append(progress, message, summary, empty, results);

  let tableKey = '';
  let legendKey = '';
  return {
    el: frame.el,
    paint(s, theme, width, force) {
      const blocked = controller.blockedReason() ?? (s.run ? 'A sweep is running.' : null);
      frame.setRunEnabled(blocked === null, blocked);
      const running = s.run !== null;
      frame.setMarker(running ? 'running' : s.ui.markers.run, running ? 'Running' : s.ui.markers.run === null ? 'Not run yet' : `Ran (execution ${s.ui.markers.run})`);

      progress.hidden = !running;
      if (s.run) {
        const text = progressText(s.run, s.sweep);
        if (progressLabel.textContent !== text) progressLabel.textContent = text;
        const fraction = s.sweep?.phase === 'running' && s.sweep.requestId === s.run.requestId ? s.sweep.fraction : null;
        progressBar.hidden = fraction === null;
        progressFill.style.width = `${Math.round((fraction ?? 0) * 1000) / 10}%`;
        setEnabled(cancel, s.run.phase !== 'cancelling', 'Cancelling…');
      }
      // Text is set only when it changes: the message is an alert, announced whenever it is written.
      setText(message, s.runMessage?.text ?? null);
      message.classList.toggle('error', s.runMessage?.error ?? false);

      const sweep = s.sweep;
      setText(summary, sweep && !running ? summaryText(sweep) : null);
      setText(empty, sweep !== null || running ? null : controller.lockedReason() ? 'Running is disabled (see above).' : planPreview(s.parsed.ok ? s.parsed.values : null));
      results.hidden = sweep === null;
      (logToggle as HTMLElement & { checked: boolean }).checked = s.ui.logScale;
      if (!sweep) return;

      const verdict = sweep.content?.verdict ?? null;
      const styles = runStyles(sweep.runs, { subclone: theme.accent, random: theme.second }, verdict?.bestLr ?? null);
      const nextLegendKey = JSON.stringify(styles);
      if (force || nextLegendKey !== legendKey) {
        legendKey = nextLegendKey;
        legend.replaceChildren(...legendParts(styles));
      }
      const nextTableKey = JSON.stringify([sweep.version, sweep.file, nextLegendKey]);
      if (force || nextTableKey !== tableKey) {
        tableKey = nextTableKey;
        tableSlot.replaceChildren(runsTable(sweep, styles, (p) => controller.open(p)));
      }
      const gap = 24;
      const twoUp = width >= 900;
      const valWidth = twoUp ? (width - gap) * 0.58 : width;
      const trainWidth = twoUp ? width - gap - valWidth : width;
      chartGrid.classList.toggle('stacked', !twoUp);
      charts.paint({ runs: sweep.runs, styles, logScale: s.ui.logScale, target: verdict?.target ?? null }, theme, valWidth, trainWidth);
    },
  };
}

/** Shows `text` in el (hidden when null), touching the DOM only when it changes. */
function setText(el: HTMLElement, text: string | null): void {
  el.hidden = text === null;
  if (text !== null && el.textContent !== text) el.textContent = text;
}

/** "subclone ━ 7.5e-4 ┅ 1.5e-3 …   random init ━ 3e-3 …": one group per init, each lr with its line. */
function legendParts(styles: readonly RunStyle[]): Node[] {
  const groups = (['subclone', 'random'] as const).flatMap((init) => {
    const of = styles.filter((s) => s.init === init).sort((a, b) => a.lr - b.lr);
    if (!of.length) return [];
    const swatch = h('span', { class: `init-swatch init-${init}` });
    swatch.style.background = of[0].stroke;
    return [
      h(
        'span',
        { class: 'legend-group' },
        h('span', { class: 'legend-init' }, swatch, init === 'subclone' ? 'subclone' : 'random init'),
        ...of.map((s) => h('span', { class: `legend-item${s.best ? ' best' : ''}`, title: `${s.label}: ${s.dashName} line${s.best ? ', the best run of its init' : ''}` }, lineSample(s), s.label.split(' ')[1], s.best ? h('span', { class: 'sr-only' }, ' (best)') : null)),
      ),
    ];
  });
  const note = `colour: init · line: learning rate${styles.some((s) => s.best) ? ' · thick: the best run of each init' : ''}`;
  return [...groups, h('span', { class: 'legend-note muted' }, note)];
}
