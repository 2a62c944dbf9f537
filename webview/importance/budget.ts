/**
 * Fit a budget: a parameter count or a share of the parent and how many candidates to score; the engine's
 * shapes that fit, by calibration loss. Choosing one fills the picker (with loss-guided blocks).
 */
import type { BudgetResult, ImportanceViewData } from '../../src/protocol/importanceProtocol';
import { describeShape, formatCount } from '../../src/protocol/shapes';
import { parseBudget } from './budgetText';
import type { Controller } from './controller';
import { button, h, progressLine, section, setEnabled, setValue, valueOf } from '../shared/dom';
import { formatIndexList, formatPercent } from './format';
import { Memo, type PaintContext, type Section } from './paint';

export function createBudget(data: ImportanceViewData, controller: Controller): Section {
  const ui = controller.state.ui;
  const input = h('vscode-text-field', { 'data-testid': 'budget-input', placeholder: 'e.g. 700K, 1.2M or 25%', size: '16' }, 'Parameter budget');
  const count = h('vscode-text-field', { type: 'number', min: '1', max: '64', size: '4', 'data-testid': 'budget-candidates' }, 'Candidates to score');
  setValue(input, ui.budgetText);
  setValue(count, String(ui.budgetCandidates));
  const message = h('p', { class: 'budget-message', 'aria-live': 'polite' });
  const progress = h('div', {});
  const results = h('div', { 'data-testid': 'budget-results' });
  const run = () => {
    const parsed = parseBudget(valueOf(input), data.parent?.parameters ?? null);
    const n = Number(valueOf(count));
    if (!parsed.ok) return void ((message.textContent = parsed.message), message.classList.add('error'));
    if (!Number.isInteger(n) || n < 1 || n > 64) return void ((message.textContent = 'Candidates must be a whole number from 1 to 64.'), message.classList.add('error'));
    controller.fitBudget(parsed.budget, n);
  };
  const go = button('Fit Budget', 'primary', run, { 'data-testid': 'budget-button' });
  input.addEventListener('input', () => {
    message.textContent = '';
    message.classList.remove('error');
    controller.setUi({ budgetText: valueOf(input) });
  });
  input.addEventListener('keydown', (e) => {
    if ((e as KeyboardEvent).key === 'Enter') run();
  });
  count.addEventListener('input', () => {
    const n = Number(valueOf(count));
    if (Number.isInteger(n) && n >= 1) controller.setUi({ budgetCandidates: n });
  });
  const reason = !data.actionsEnabled ? data.actionsDisabledReason : !data.lossScoring.available ? data.lossScoring.reason : null;
  const el = section(
    'budget',
    'Fit a parameter budget',
    'Searches the uniform shapes whose parameters fit the budget, scores the most promising by calibration loss (loss-guided blocks) and lists them, best first. Choose one to load it into the picker.',
    h('div', { class: 'budget-row' }, input, count, go),
    reason ? h('p', { class: 'muted', 'data-testid': 'budget-disabled' }, `Not available: ${reason}`) : null,
    message,
    progress,
    results,
  );
  const memo = new Memo();
  return {
    el,
    paint({ s }: PaintContext) {
      if (!memo.changed(s.budget.job, s.budget.job?.progress, s.budget.result, s.budget.error, s.ui.shape)) return;
      const busy = s.budget.job !== null;
      setEnabled(go, reason === null && !busy, reason ?? (busy ? 'A budget search is running.' : null));
      for (const f of [input, count]) f.toggleAttribute('disabled', reason !== null);
      const job = s.budget.job;
      progress.replaceChildren(...(job ? [progressLine(job.progress?.message ?? 'Searching shapes…', job.progress?.fraction, () => controller.cancel(s.budget))] : []));
      if (s.budget.error) {
        message.textContent = s.budget.error;
        message.classList.add('error');
      }
      results.replaceChildren(...(s.budget.result ? [resultTable(s.budget.result, controller)] : []));
    },
  };
}

function resultTable(result: BudgetResult, controller: Controller): HTMLElement {
  const current = controller.state.ui.shape;
  const sorted = [...result.candidates].sort((a, b) => a.loss - b.loss);
  const rows = sorted.map((c, i) => {
    const use = () => controller.choose(c.shape, 'loss', true);
    const isCurrent = current && describeShape(current) === describeShape(c.shape);
    const row = h(
      'tr',
      { class: `clickable${isCurrent ? ' current' : ''}`, 'data-testid': 'budget-candidate' },
      h('td', { class: 'num' }, String(i + 1)),
      h('td', {}, describeShape(c.shape)),
      h('td', { class: 'num' }, formatCount(c.parameters)),
      h('td', { class: 'num' }, formatPercent(c.fraction)),
      h('td', {}, formatIndexList(c.blocks)),
      h('td', { class: 'num' }, c.loss.toFixed(3)),
      h('td', {}, button(isCurrent ? 'In Picker' : 'Use', 'secondary', use)),
    );
    row.addEventListener('click', (e) => {
      if (!(e.target as HTMLElement).closest('vscode-button')) use();
    });
    return row;
  });
  const head = ['#', 'shape', 'parameters', 'of parent', 'blocks', `loss`, ''].map((t) => h('th', {}, t));
  return h(
    'figure',
    { class: 'figure' },
    h('figcaption', {}, `Shapes within ${formatCount(result.budget)} parameters, lowest calibration loss first (${result.metric})`),
    sorted.length ? h('table', { class: 'table budget-table' }, h('thead', {}, h('tr', {}, ...head)), h('tbody', {}, ...rows)) : h('p', { class: 'muted' }, 'No valid shape fits this budget.'),
    h('p', { class: 'muted small' }, `${result.enumerated} valid uniform shapes fit; ${result.scored} scored by loss.`),
  );
}
