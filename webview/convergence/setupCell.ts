/**
 * The Setup cell: the child and where it came from, the fields of the sweep (kept as typed, checked as typed),
 * and ▶ = estimate the time. The fields are built once; painting only changes what is derived from them.
 */
import type { ChildSummary } from '../../src/protocol/convergenceProtocol';
import { button, h, setEnabled, setValue, valueOf } from '../shared/dom';
import { cellFrame } from './cell';
import type { Controller, PanelModel } from './controller';
import { estimateSentence, evalEveryPlaceholder, stepsPlaceholder } from './estimateText';
import { formatCount, shortPath } from './format';
import { FIELD_LABELS, sameSetup, type SetupField } from './setupFields';

const TEST_IDS: Record<SetupField, string> = {
  data: 'setup-data',
  steps: 'setup-steps',
  batch: 'setup-batch',
  seq: 'setup-seq',
  evalEvery: 'setup-eval-every',
  lrs: 'setup-lrs',
  randomLrs: 'setup-random-lrs',
};

const LABELS: Record<SetupField, string> = {
  ...FIELD_LABELS,
  lrs: 'Subclone learning rates (comma-separated)',
  randomLrs: 'Random-init learning rates (comma-separated)',
};

export interface SetupCell {
  el: HTMLElement;
  paint(s: PanelModel): void;
}

export function createSetupCell(controller: Controller): SetupCell {
  const reset = h('button', { class: 'link', 'data-testid': 'setup-reset', title: 'Put back the fields the panel opened with' }, 'Reset fields');
  reset.addEventListener('click', () => controller.resetFields());
  const frame = cellFrame({
    id: 'setup',
    testId: 'setup-cell',
    title: 'Setup',
    hint: '▶ times a few steps of the child and estimates the sweep',
    actions: [reset],
    run: { testId: 'estimate-button', label: 'Estimate the time of the sweep', onRun: () => controller.estimate() },
  });
  const childLine = h('div', { class: 'child' });
  const fields = {} as Record<SetupField, HTMLElement>;
  for (const f of Object.keys(TEST_IDS) as SetupField[]) {
    const field = h('vscode-text-field', { 'data-testid': TEST_IDS[f], class: `field field-${f}` }, LABELS[f]);
    field.addEventListener('input', () => controller.edit(f, valueOf(field)));
    fields[f] = field;
  }
  const browse = button('Browse…', 'secondary', () => controller.pickData(), { 'data-testid': 'setup-browse' });
  const error = h('div', { class: 'setup-error', 'data-testid': 'setup-error', role: 'alert' });
  const output = h('div', { class: 'estimate-output', 'data-testid': 'estimate-output', role: 'status' });
  frame.body.append(
    childLine,
    h('div', { class: 'fields' }, h('div', { class: 'field-row data-row' }, fields.data, browse), h('div', { class: 'field-row numbers' }, fields.steps, fields.batch, fields.seq, fields.evalEvery), h('div', { class: 'field-row lr-row' }, fields.lrs, fields.randomLrs)),
    error,
    output,
  );

  let textVersion = -1;
  let childKey = '';
  let outputKey = '';
  let errorKey: string | null = null;
  return {
    el: frame.el,
    paint(s) {
      const key = JSON.stringify(s.child);
      if (key !== childKey) {
        childKey = key;
        childLine.replaceChildren(...childParts(s.child, controller));
      }
      if (s.textVersion !== textVersion) {
        textVersion = s.textVersion;
        for (const f of Object.keys(fields) as SetupField[]) if (valueOf(fields[f]) !== s.ui.text[f]) setValue(fields[f], s.ui.text[f]);
      }
      const defaultSteps = s.ui.estimate?.view.defaultSteps ?? null;
      fields.steps.setAttribute('placeholder', stepsPlaceholder(defaultSteps));
      const typedSteps = s.parsed.ok ? s.parsed.values.steps : null;
      fields.evalEvery.setAttribute('placeholder', evalEveryPlaceholder(typedSteps ?? defaultSteps));
      fields.lrs.setAttribute('placeholder', 'e.g. 7.5e-4, 1.5e-3, 3e-3, 6e-3');
      fields.randomLrs.setAttribute('placeholder', 'e.g. 3e-3, 6e-3, 1.2e-2, 2.4e-2');
      fields.data.setAttribute('placeholder', 'a text file, or an image folder with one subfolder per class');

      // Nothing can run for an untrainable model: its fields' problems would only be noise.
      const errors = s.parsed.ok || s.untrainable ? [] : s.parsed.errors;
      const bad = new Set(errors.map((e) => e.field));
      for (const f of Object.keys(fields) as SetupField[]) {
        fields[f].classList.toggle('invalid', bad.has(f));
        if (bad.has(f)) fields[f].setAttribute('aria-invalid', 'true');
        else fields[f].removeAttribute('aria-invalid');
      }
      // Only on change: refilling an alert would announce it again on every repaint.
      const nextErrorKey = errors.map((e) => e.message).join('\n');
      if (nextErrorKey !== errorKey) {
        errorKey = nextErrorKey;
        error.replaceChildren(...errors.map((e) => h('p', {}, e.message)));
        error.hidden = errors.length === 0;
      }

      const locked = controller.lockedReason();
      for (const f of Object.values(fields)) f.toggleAttribute('disabled', s.untrainable !== null);
      reset.toggleAttribute('disabled', s.untrainable !== null);
      setEnabled(browse, locked === null, locked);
      const blocked = controller.blockedReason() ?? (s.run ? 'A sweep is running.' : s.estimating ? 'Estimating…' : null);
      frame.setRunEnabled(blocked === null, blocked);
      frame.setMarker(s.estimating ? 'running' : s.ui.markers.setup, s.estimating ? 'Estimating' : s.ui.markers.setup === null ? 'Not run yet' : `Estimated (execution ${s.ui.markers.setup})`);

      const nextOutputKey = JSON.stringify([s.estimating?.requestId, s.estimateError, s.ui.estimate, s.parsed, locked]);
      if (nextOutputKey !== outputKey) {
        outputKey = nextOutputKey;
        output.replaceChildren(...outputParts(s, locked));
      }
    },
  };
}

function childParts(child: ChildSummary, controller: Controller): Node[] {
  const name = h('button', { class: 'link', 'data-testid': 'open-child', title: `Open ${child.file}` }, shortPath(child.file));
  name.addEventListener('click', () => controller.open(child.file));
  const facts = [child.shape, child.parameters !== null ? `${formatCount(child.parameters)} parameters` : null].filter((x): x is string => x !== null);
  const origin = child.parent
    ? h('p', { class: 'origin muted', 'data-testid': 'child-origin' }, `subcloned from ${shortPath(child.parent.file)} (${child.parent.shape}, ${formatCount(child.parent.parameters)} params)`)
    : h('p', { class: 'origin muted', 'data-testid': 'child-origin' }, 'not made by Subclone: no subclone.json');
  if (child.parent) origin.title = child.parent.file;
  return [h('p', { class: 'child-name' }, name, ...facts.map((f) => h('span', { class: 'fact' }, f))), origin];
}

function outputParts(s: PanelModel, locked: string | null): Node[] {
  if (s.estimating) return [h('div', { class: 'progress' }, h('vscode-progress-ring', {}), h('span', {}, 'Timing a few steps of the child…'))];
  if (s.estimateError) return [h('p', { class: 'error' }, s.estimateError)];
  const e = s.ui.estimate;
  if (!e) return [h('p', { class: 'muted' }, locked ? 'Estimating is disabled (see above).' : 'No estimate yet: ▶ times a few steps (a few seconds).')];
  const parts: Node[] = [h('p', { class: 'estimate' }, estimateSentence(e.view, e.requested.steps === null))];
  if (s.parsed.ok && !sameSetup(s.parsed.values, e.requested)) parts.push(h('p', { class: 'muted small' }, 'The fields changed since this estimate: ▶ to estimate again.'));
  return parts;
}
