/** The Run cell's table: one row per planned run, with its line sample, status, progress, losses and CSV link. */
import { h } from '../shared/dom';
import { besideFile, formatDuration, formatInt, formatLoss, formatLr } from './format';
import type { RunStyle } from './runStyles';
import { finalValLoss, latestValLoss, runFraction, type RunRow, type SweepView } from './sweep';
import { lineSample } from './lineSample';

const HEADERS: [string, string][] = [
  ['', 'line'],
  ['init', ''],
  ['lr', 'num'],
  ['status', ''],
  ['steps', ''],
  ['latest val. loss', 'num'],
  ['final val. loss', 'num'],
  ['time', 'num'],
  ['CSV', ''],
];

export function runsTable(sweep: SweepView, styles: readonly RunStyle[], open: (path: string) => void): HTMLElement {
  const head = h('thead', {}, h('tr', {}, ...HEADERS.map(([text, cls]) => h('th', { scope: 'col', class: cls }, text || h('span', { class: 'sr-only' }, 'line style')))));
  const body = h('tbody', {}, ...sweep.runs.map((r, i) => row(r, i, styles[i], sweep.file, open)));
  return h('table', { class: 'table runs', 'data-testid': 'runs-table' }, head, body);
}

function row(r: RunRow, i: number, style: RunStyle | undefined, file: string | null, open: (path: string) => void): HTMLElement {
  const status = h('td', { class: 'status-cell' }, h('span', { class: `status status-${r.status}` }, r.status));
  if (r.error) {
    status.title = r.error;
    status.append(h('span', { class: 'run-error' }, r.error));
  }
  const pct = Math.round(runFraction(r) * 100);
  const fill = h('span', { class: `bar-fill bar-${r.status}` });
  fill.style.width = `${pct}%`;
  const bar = h('span', { class: 'bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': String(r.steps), 'aria-valuenow': String(r.stepsDone), 'aria-label': `run ${i + 1} steps` }, fill);
  const csv = file && r.csv ? csvLink(besideFile(file, r.csv), r.csv, open) : h('span', { class: 'muted' }, '—');
  return h(
    'tr',
    { 'data-run': String(i), 'data-status': r.status, class: style?.best ? 'best' : '' },
    h('td', { class: 'line' }, style ? lineSample(style) : null),
    h('td', {}, r.init === 'subclone' ? 'subclone' : 'random init'),
    h('td', { class: 'num' }, formatLr(r.lr)),
    status,
    h('td', { class: 'steps' }, h('span', { class: 'steps-text' }, `${formatInt(r.stepsDone)} / ${formatInt(r.steps)}`), bar),
    h('td', { class: 'num' }, formatLoss(latestValLoss(r))),
    h('td', { class: 'num final' }, formatLoss(finalValLoss(r))),
    h('td', { class: 'num' }, r.seconds === null ? '—' : formatDuration(r.seconds)),
    h('td', { class: 'csv' }, csv),
  );
}

function csvLink(path: string, name: string, open: (path: string) => void): HTMLElement {
  const b = h('button', { class: 'link', 'data-testid': 'open-csv', title: `Open ${path}` }, name);
  b.addEventListener('click', () => open(path));
  return b;
}
