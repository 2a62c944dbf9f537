/** The report's header: model, family and dims, calibration source, date, parent hash; the fallback banner. */
import { formatCount } from '../../src/protocol/shapes';
import type { ImportanceViewData } from '../../src/protocol/importanceProtocol';
import { button, h, setEnabled } from '../shared/dom';
import { baseName, describeCalibration, formatDate, formatInt } from './format';
import type { PaintContext, Section } from './paint';

const FAMILY_NAMES: Record<string, string> = { gpt2: 'GPT-2', 'gpt-neox': 'GPT-NeoX', bert: 'BERT', vit: 'ViT', llama: 'LLaMA' };

export function createHeader(data: ImportanceViewData, post: PaintContext['controller']['post']): Section {
  const r = data.report;
  const d = r.model.dims;
  const ffn = Array.isArray(d.ffn) ? `${Math.min(...d.ffn)}–${Math.max(...d.ffn)}` : String(d.ffn);
  const heads = d.kvHeads !== d.heads ? `${d.heads} heads (${d.kvHeads} KV groups)` : `${d.heads} heads`;
  const dims = [`${d.layers} layers × ${d.dModel}`, heads, `head_dim ${d.headDim}`, `FFN ${ffn}`, d.vocab ? `vocab ${formatInt(d.vocab)}` : null, d.context ? `context ${formatInt(d.context)}` : null];
  const modelName = data.model?.name ?? baseName(r.model.file);
  const sha = data.model?.sha256 ?? r.model.sha256 ?? null;
  const facts: [string, string | Node][] = [
    ['Model', h('span', {}, modelName, h('span', { class: 'muted' }, ` · ${dims.filter(Boolean).join(' · ')}${data.parent ? ` · ${formatCount(data.parent.parameters)} parameters` : ''}`))],
    ['Calibration', describeCalibration(r.calibration)],
    ['Computed', `${formatDate(r.run.createdAt)} · ${r.run.provider.toUpperCase()} · ${r.run.seconds.toFixed(1)} s`],
    ['Parent SHA-256', sha ? h('code', { title: sha }, `${sha.slice(0, 16)}…`) : h('span', { class: 'muted' }, 'not recorded in this report')],
  ];
  const reload = button('Read Again', 'secondary', () => post({ type: 'reload' }), { title: 'Read the report file again' });
  const el = h(
    'header',
    { 'data-testid': 'importance-header' },
    h('div', { class: 'title' }, h('h1', {}, 'Neuron importance'), h('vscode-tag', {}, FAMILY_NAMES[r.model.family] ?? r.model.family), h('span', { class: 'muted path' }, data.path), h('span', { class: 'spacer' }), reload),
    h('dl', { class: 'facts' }, ...facts.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v)))),
    data.model ? null : h('div', { class: 'callout warning' }, `The model this report belongs to (${r.model.file}) was not found: the shape picker and the actions are off.`),
    r.calibration.fallback ? fallbackBanner(data, post) : null,
  );
  return { el, paint: () => undefined };
}

function fallbackBanner(data: ImportanceViewData, post: PaintContext['controller']['post']): HTMLElement {
  const weights = data.report.calibration.source === 'weights';
  const what = weights ? 'computed from weight magnitudes without running the model' : 'measured on random inputs, not on real data';
  const compute = button('Compute on Real Data…', 'primary', () => post({ type: 'computeImportance' }), { 'data-testid': 'compute-importance-button' });
  setEnabled(compute, data.actionsEnabled, data.actionsDisabledReason);
  return h(
    'div',
    { class: 'callout warning banner', role: 'alert', 'data-testid': 'fallback-banner' },
    h('div', {}, h('strong', {}, 'These scores are a fallback. '), `They were ${what}, so they may not rank neurons the way real activations would${weights ? '; block magnitudes are not measured' : ''}.`),
    compute,
  );
}
