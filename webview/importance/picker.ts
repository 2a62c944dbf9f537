/**
 * The shape picker (sticky at the top): one box per number (withField moves the numbers that follow, as in
 * Subclone… → Custom…), the presets, the block policy, the engine's verdict with the parameter count and the
 * share of importance the shape keeps, and Subclone with this shape.
 */
import type { ImportanceViewData, PanelBlockPolicy, SubcloneRun } from '../../src/protocol/importanceProtocol';
import { describeShape, formatCount, withField, type TargetShape } from '../../src/protocol/shapes';
import type { Controller } from './controller';
import { button, h, progressLine, setEnabled, setValue, valueOf } from '../shared/dom';
import { baseName, formatIndexList, formatPercent } from './format';
import { Memo, type PaintContext, type Section } from './paint';
import { policyUsable, sameShape, type PanelState } from './state';

const FIELDS: [keyof TargetShape, string, string][] = [
  ['layers', 'Layers', 'picker-layers'],
  ['dModel', 'Width (d_model)', 'picker-dModel'],
  ['heads', 'Heads', 'picker-heads'],
  ['kvHeads', 'KV heads', 'picker-kvHeads'],
  ['ffn', 'FFN', 'picker-ffn'],
];

export const POLICY_NAMES: Record<PanelBlockPolicy, string> = {
  loss: 'loss-guided (lowest calibration loss)',
  magnitude: 'magnitude (the paper’s rule)',
  first: 'first l blocks',
  middle: 'drop middle blocks',
};

export function createPicker(data: ImportanceViewData, controller: Controller): Section {
  const enabled = data.parent !== null;
  const fields = new Map<keyof TargetShape, HTMLElement>();
  for (const [key, label, testId] of FIELDS) {
    const field = h('vscode-text-field', { type: 'number', min: '1', 'data-testid': testId, size: '6' }, label);
    if (!enabled) field.setAttribute('disabled', '');
    field.addEventListener('input', () => onField(controller, key, label, valueOf(field)));
    fields.set(key, field);
  }
  const [policyField, policy] = policyDropdown(data, controller);
  const presets = presetDropdown(data, controller);
  const message = h('p', { class: 'picker-message', 'data-testid': 'picker-message', 'aria-live': 'polite' });
  const onnxOnly = h('p', { class: 'picker-note', 'data-testid': 'picker-onnx-only', hidden: '' });
  const tiles = h('div', { class: 'tiles' });
  const action = h('div', { class: 'subclone-action' });
  const subcloneButton = button('Subclone with This Shape', 'primary', () => controller.subclone(), { 'data-testid': 'subclone-button' });
  const el = h(
    'section',
    { class: 'picker', id: 'picker', 'aria-label': 'Destination shape' },
    h('div', { class: 'picker-row' }, presets.field, ...fields.values(), policyField),
    h('div', { class: 'picker-status' }, message, tiles, h('div', { class: 'subclone-cell' }, subcloneButton)),
    onnxOnly,
    action,
  );
  const memo = new Memo();
  return {
    el,
    paint({ s }: PaintContext) {
      if (!memo.changed(s.ui.shape, s.ui.policy, s.selection, s.selecting, s.inputError, s.selectError, s.subclone.job?.progress, s.subclone.job, s.subclone.result, s.subclone.error)) return;
      syncFields(fields, s.ui.shape);
      setValue(policy, s.ui.policy ?? '');
      presets.show(s.ui.shape);
      paintMessage(message, s);
      paintOnnxOnly(onnxOnly, s);
      tiles.replaceChildren(...keptTiles(s));
      paintSubclone(subcloneButton, action, s, controller);
    },
  };
}

function onField(controller: Controller, key: keyof TargetShape, label: string, text: string): void {
  const s = controller.state;
  const parent = s.data.parent;
  const n = Number(text);
  if (!parent || !s.ui.shape) return;
  if (text.trim() === '' || !Number.isInteger(n) || n < 1) return controller.inputInvalid(`${label} must be a whole number of at least 1.`);
  const next = withField(s.ui.shape, key, n, parent);
  if (!s.inputError && sameShape(next, s.ui.shape)) return; // the same number typed again: nothing to check
  controller.choose(next, s.ui.policy ?? 'first');
}

const CUSTOM = 'custom';

/** The presets as a dropdown: choosing one fills the boxes; it shows "custom" when the boxes match none. */
function presetDropdown(data: ImportanceViewData, controller: Controller): { field: HTMLElement; show(shape: TargetShape | null): void } {
  const options = data.presets.map((p) => h('vscode-option', { value: p.id, title: describeShape(p.shape) }, `${p.label} · ${formatCount(p.parameters)}`));
  const dropdown = h('vscode-dropdown', { 'data-testid': 'picker-preset', 'aria-label': 'Preset', position: 'below' }, h('vscode-option', { value: CUSTOM }, 'custom'), ...options);
  if (!data.parent) dropdown.setAttribute('disabled', '');
  dropdown.addEventListener('change', () => {
    const preset = data.presets.find((p) => p.id === valueOf(dropdown));
    const s = controller.state;
    if (preset && !(s.ui.shape && sameShape(preset.shape, s.ui.shape))) controller.choose(preset.shape, s.ui.policy ?? 'first', true);
  });
  return {
    field: h('label', { class: 'dropdown-field' }, h('span', {}, 'Preset'), dropdown),
    show(shape) {
      const preset = shape && data.presets.find((p) => sameShape(p.shape, shape));
      setValue(dropdown, preset?.id ?? CUSTOM);
    },
  };
}

function policyDropdown(data: ImportanceViewData, controller: Controller): [HTMLElement, HTMLElement] {
  const options = (Object.keys(POLICY_NAMES) as PanelBlockPolicy[]).map((p) => {
    const usable = policyUsable(p, data);
    const reason = p === 'loss' ? data.lossScoring.reason : 'needs block magnitudes, which a data-free report does not have';
    return h('vscode-option', { value: p, ...(usable ? {} : { disabled: '', title: reason ?? '' }) }, POLICY_NAMES[p]);
  });
  const dropdown = h('vscode-dropdown', { 'data-testid': 'picker-policy', 'aria-label': 'Block policy', position: 'below' }, ...options);
  const wrap = h('label', { class: 'dropdown-field' }, h('span', {}, 'Blocks'), dropdown);
  dropdown.addEventListener('change', () => {
    const s = controller.state;
    const p = valueOf(dropdown) as PanelBlockPolicy;
    if (s.ui.shape && p !== s.ui.policy) controller.choose(s.ui.shape, p, true);
  });
  if (!data.parent) dropdown.setAttribute('disabled', '');
  return [wrap, dropdown];
}

function syncFields(fields: Map<keyof TargetShape, HTMLElement>, shape: TargetShape | null): void {
  if (!shape) return;
  for (const [key, field] of fields) {
    if (document.activeElement === field) continue;
    if (valueOf(field) !== String(shape[key])) setValue(field, String(shape[key]));
  }
}

function paintMessage(el: HTMLElement, s: PanelState): void {
  const sel = s.selection;
  const error = s.inputError ?? s.selectError ?? (sel && !sel.ok ? sel.message : null);
  el.classList.toggle('error', !!error);
  el.classList.toggle('pending', s.selecting);
  if (!s.data.parent) return void (el.textContent = 'The model is not available: shapes cannot be checked.');
  if (error) return void (el.textContent = error);
  if (!sel) return void (el.textContent = 'Checking the shape…');
  const params = sel.parameters === null ? '' : `${formatCount(sel.parameters)} parameters (${formatPercent(sel.parameters / sel.parentParameters)} of the parent’s ${formatCount(sel.parentParameters)})`;
  el.textContent = `${describeShape(sel.shape)} — ${params}${s.selecting ? ' · checking…' : ''}`;
}

/** Why the shape would be written without its Hugging Face checkpoint (the engine's reason), when it would be. */
function paintOnnxOnly(el: HTMLElement, s: PanelState): void {
  const reason = s.selection?.ok ? s.selection.onnxOnly : null;
  el.hidden = !reason;
  el.textContent = reason ? `Written as ONNX only: ${reason}.` : '';
}

function keptTiles(s: PanelState): HTMLElement[] {
  const sel = s.selection;
  if (!sel?.ok || !sel.shares || !sel.kept) return [];
  const blocks = sel.blocks;
  const mean = (xs: number[]) => {
    const chosen = blocks ? blocks.map((b) => xs[b]) : xs;
    return chosen.reduce((a, b) => a + b, 0) / Math.max(1, chosen.length);
  };
  const tile = (label: string, value: string, note: string) => h('div', { class: 'tile', title: `${label}: share of importance the shape keeps` }, h('span', { class: 'tile-label' }, label), h('span', { class: 'tile-value' }, value), h('span', { class: 'tile-note' }, note));
  const D = s.data.report.model.dims.dModel;
  return [
    tile('Embedding kept', formatPercent(sel.shares.embedding), `${sel.kept.embedding.length} of ${D} neurons`),
    tile('FFN kept', formatPercent(mean(sel.shares.ffn)), blocks ? 'mean, kept blocks' : 'mean, all blocks'),
    tile('Heads kept', formatPercent(mean(sel.shares.heads)), blocks ? 'mean, kept blocks' : 'mean, all blocks'),
    tile('Blocks', blocks ? formatIndexList(blocks) : 'not scored yet', blocks ? POLICY_NAMES[sel.policy].split(' (')[0] : `loss-guided: ${sel.scoreCount} candidates`),
  ];
}

function paintSubclone(b: HTMLElement, action: HTMLElement, s: PanelState, controller: Controller): void {
  const sel = s.selection;
  const reason = !s.data.actionsEnabled
    ? s.data.actionsDisabledReason ?? 'Actions are not available.'
    : s.subclone.job
      ? 'A subclone is being written.'
      : !sel || s.selecting || s.inputError
        ? 'Waiting for the engine to check the shape.'
        : !sel.ok
          ? 'The shape is not valid (see the message).'
          : null;
  setEnabled(b, reason === null, reason);
  const job = s.subclone.job;
  const parts: (Node | null)[] = [
    reason && s.data.actionsEnabled === false ? h('p', { class: 'muted', 'data-testid': 'actions-disabled' }, reason) : null,
    job ? progressLine(job.progress?.message ?? 'Subcloning…', job.progress?.fraction, () => controller.cancel(s.subclone)) : null,
    s.subclone.error ? h('p', { class: 'error' }, s.subclone.error) : null,
    s.subclone.result ? subcloneResult(s.subclone.result, controller) : null,
  ];
  action.replaceChildren(...parts.filter((p): p is Node => p !== null));
}

export function subcloneResult(run: SubcloneRun, controller: Controller): HTMLElement {
  const l = run.losses;
  const losses = l ? ` · held-out loss ${l.child.toFixed(2)} (parent ${l.parent.toFixed(2)}, random init ${l.randomInit.toFixed(2)}; ${l.metric})` : '';
  return h(
    'div',
    { class: 'callout run', 'data-testid': 'subclone-result' },
    h('div', {}, h('strong', {}, `Wrote ${baseName(run.folder)}`), ` — ${describeShape(run.shape)} · ${formatCount(run.parameters)} parameters · blocks ${formatIndexList(run.blocks)}${losses}`),
    h(
      'div',
      { class: 'actions' },
      button('Reveal in Explorer', 'secondary', () => controller.post({ type: 'openSubclone', folder: run.folder, how: 'reveal' })),
      button('Open Overview', 'secondary', () => controller.post({ type: 'openSubclone', folder: run.folder, how: 'overview' })),
    ),
  );
}
