/** Subclones written from this report (found beside the model, or made here), with Reveal / Open Overview. */
import type { ImportanceViewData, SubcloneRun } from '../../src/protocol/importanceProtocol';
import { describeShape, formatCount } from '../../src/protocol/shapes';
import type { Controller } from './controller';
import { button, h, section } from '../shared/dom';
import { baseName, formatDate, formatIndexList } from './format';
import { Memo, type PaintContext, type Section } from './paint';

export function createRuns(data: ImportanceViewData, controller: Controller): Section {
  const body = h('div', {});
  const el = section('runs', 'Subclones from this report', null, body);
  const memo = new Memo();
  return {
    el,
    paint({ s }: PaintContext) {
      if (!memo.changed(s.subclone.result)) return;
      const runs = [...data.subcloneRuns];
      const made = s.subclone.result;
      if (made && !runs.some((r) => r.folder === made.folder)) runs.unshift(made);
      el.hidden = runs.length === 0;
      body.replaceChildren(...(runs.length ? [runTable(runs, controller)] : []));
    },
  };
}

function runTable(runs: SubcloneRun[], controller: Controller): HTMLElement {
  const head = ['folder', 'shape', 'parameters', 'blocks', 'held-out loss (child / parent / random init)', 'written', ''].map((t) => h('th', {}, t));
  const rows = runs.map((r) =>
    h(
      'tr',
      {},
      h('td', { title: r.folder }, baseName(r.folder)),
      h('td', {}, describeShape(r.shape)),
      h('td', { class: 'num' }, formatCount(r.parameters)),
      h('td', {}, formatIndexList(r.blocks)),
      h('td', { class: 'num' }, r.losses ? `${r.losses.child.toFixed(2)} / ${r.losses.parent.toFixed(2)} / ${r.losses.randomInit.toFixed(2)}` : 'not verified'),
      h('td', {}, formatDate(r.createdAt)),
      h(
        'td',
        { class: 'actions' },
        button('Reveal', 'secondary', () => controller.post({ type: 'openSubclone', folder: r.folder, how: 'reveal' })),
        button('Open Overview', 'secondary', () => controller.post({ type: 'openSubclone', folder: r.folder, how: 'overview' })),
      ),
    ),
  );
  return h('table', { class: 'table', 'data-testid': 'subclone-runs' }, h('thead', {}, h('tr', {}, ...head)), h('tbody', {}, ...rows));
}
