/**
 * A notebook-like cell: a left gutter with the cell's ▶ (optional) and its execution marker ("[ ]", "[*]", "[2]"),
 * and the cell's title and body on the right.
 */
import { button, h, setEnabled } from '../shared/dom';
import { executionMarker } from './format';

export interface CellFrame {
  el: HTMLElement;
  body: HTMLElement;
  /** The ▶ button, when the cell has one. */
  runButton: HTMLElement | null;
  setMarker(marker: number | 'running' | null, description: string): void;
  setRunEnabled(enabled: boolean, reason: string | null): void;
}

export interface CellOptions {
  id: string;
  testId: string;
  title: string;
  /** A line beside the title saying what ▶ does. */
  hint?: string;
  run?: { testId: string; label: string; onRun: () => void };
  /** Controls at the right end of the title line. */
  actions?: HTMLElement[];
}

export function cellFrame(o: CellOptions): CellFrame {
  const runButton = o.run ? button('▶', 'icon', o.run.onRun, { 'data-testid': o.run.testId, 'aria-label': o.run.label, class: 'cell-run' }) : null;
  const marker = h('span', { class: 'cell-marker', 'data-testid': `${o.id}-marker` }, executionMarker(null));
  const markerText = h('span', { class: 'sr-only' });
  const gutter = h('div', { class: 'cell-gutter' }, runButton ?? h('span', { class: 'cell-run-placeholder', 'aria-hidden': 'true' }), marker, markerText);
  const body = h('div', { class: 'cell-body' });
  const titleId = `${o.id}-title`;
  const head = h('div', { class: 'cell-head' }, h('h2', { id: titleId }, o.title), o.hint ? h('span', { class: 'cell-hint muted' }, o.hint) : null, ...(o.actions?.length ? [h('span', { class: 'cell-actions' }, ...o.actions)] : []));
  const el = h('section', { class: 'cell', id: o.id, 'data-testid': o.testId, 'aria-labelledby': titleId }, gutter, h('div', { class: 'cell-main' }, head, body));
  let lastMarker = '';
  return {
    el,
    body,
    runButton,
    setMarker(m, description) {
      const text = executionMarker(m);
      if (text === lastMarker) return;
      lastMarker = text;
      marker.textContent = text;
      marker.title = description;
      markerText.textContent = description;
      el.classList.toggle('running', m === 'running');
    },
    setRunEnabled(enabled, reason) {
      if (!runButton) return;
      setEnabled(runButton, enabled, enabled ? null : reason);
      // setEnabled drops the title when enabled: keep the label as the tooltip.
      if (enabled && o.run) runButton.title = o.run.label;
    },
  };
}
