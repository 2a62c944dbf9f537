import { formatCount } from '../../src/protocol/shapes';
import type { HfCheckpointInfo, OverviewData, Recognition, ValueSpec } from '../../src/protocol/webviewProtocol';
import { h } from '../shared/dom';
import { formatBytes, grid } from './dom';

/** What the buttons do; main.ts posts the messages. */
export interface Actions {
  subclone(): void;
  computeImportance(): void;
  showImportance(): void;
  checkConvergence(): void;
  reload(): void;
}

const FAMILY_NAMES: Record<string, string> = { gpt2: 'GPT-2', 'gpt-neox': 'GPT-NeoX', bert: 'BERT', vit: 'ViT', llama: 'LLaMA' };

/** The whole overview for one model. */
export function renderOverview(data: OverviewData, actions: Actions): HTMLElement {
  return h('div', { class: 'overview' }, header(data, actions), data.checkpoint ? checkpoint(data.checkpoint, data.weightBytes) : null, architecture(data.recognition), parameters(data), io(data), operators(data));
}

/** While the host reads the model. */
export function renderLoading(fileName: string): HTMLElement {
  return h('div', { class: 'loading' }, h('vscode-progress-ring', {}), h('span', {}, `Reading ${fileName}…`));
}

/** When the model could not be read at all. */
export function renderLoadError(fileName: string, code: string, message: string, actions: Actions): HTMLElement {
  const retry = h('vscode-button', { appearance: 'secondary' }, 'Read Again');
  retry.addEventListener('click', () => actions.reload());
  return h('div', { class: 'callout error', role: 'alert' }, h('h2', {}, `${fileName} could not be read`), h('p', {}, message), h('p', { class: 'muted' }, `(${code})`), retry);
}

function header(data: OverviewData, actions: Actions): HTMLElement {
  const r = data.recognition;
  const family = r.status === 'recognized' ? h('vscode-tag', { 'data-testid': 'family' }, `${FAMILY_NAMES[r.family] ?? r.family}${r.variant ? ` (${r.variant})` : ''}`) : null;
  const subclone = button('Subclone…', 'primary', data.actionsEnabled, actions.subclone);
  const show = button('Show Neuron Importance', 'secondary', data.actionsEnabled, actions.showImportance);
  const importance = button('Compute Neuron Importance', 'secondary', data.actionsEnabled, actions.computeImportance);
  const converge = data.subclone ? button('Check Convergence…', 'secondary', data.actionsEnabled, actions.checkConvergence) : null;
  // A Hugging Face checkpoint has no producer, IR version or opset: its graph is Subclone's own, built from config.json.
  const hf = data.checkpoint;
  const facts = (hf
    ? [data.path, hf.index ? `${hf.weights.length} shards` : null, `${formatBytes(data.fileBytes)} on disk`]
    : [data.path, formatBytes(data.fileBytes), data.producer || null, `IR ${data.irVersion}`, opsetText(data.opsets), data.externalData ? 'external data' : null]
  ).filter(Boolean).join(' · ');
  const format = hf ? h('vscode-tag', { 'data-testid': 'format' }, 'Hugging Face checkpoint') : null;
  return h(
    'header',
    {},
    h('div', { class: 'title' }, h('h1', {}, hf ? hf.folder : data.fileName), format, family),
    h('p', { class: 'muted' }, facts),
    h('div', { class: 'actions' }, subclone, show, importance, converge),
    data.actionsDisabledReason ? h('p', { class: 'muted', 'data-testid': 'actions-disabled' }, data.actionsDisabledReason) : null,
  );
}

/** What a Hugging Face checkpoint is made of: the class built, config.json, the weight files and their dtype. */
function checkpoint(c: HfCheckpointInfo, weightBytes: Record<string, number>): HTMLElement {
  const code = (text: string) => h('code', {}, text);
  const dtypes = Object.keys(weightBytes);
  const weightFiles = c.weights.map((w) => h('li', {}, code(w.name), h('span', { class: 'muted' }, ` ${w.bytes === null ? 'missing' : formatBytes(w.bytes)}`)));
  const rows: [string, string, (HTMLElement | string)[]][] = [
    ['class', 'Class built', [code(c.architecture), c.modelType ? h('span', { class: 'muted' }, ` (model_type ${c.modelType})`) : '']],
    ['config', 'Configuration', [code(c.config)]],
    ['weights', c.index ? `Weights (${c.weights.length} shards)` : 'Weights', [h('ul', { class: 'files' }, ...weightFiles), c.index ? h('span', { class: 'muted' }, 'listed in ', code(c.index)) : '']],
    ['dtype', 'Weight dtype', [dtypes.join(', ') || '—', c.configDtype && !dtypes.includes(dtypeName(c.configDtype)) ? h('span', { class: 'muted' }, ` (config.json says ${c.configDtype})`) : '']],
  ];
  const weightsText = c.weights.length === 1 ? code(c.weights[0].name) : `${c.weights.length} safetensors shards`;
  return h(
    'section',
    { id: 'checkpoint', 'data-testid': 'checkpoint' },
    h('h2', {}, 'Hugging Face checkpoint'),
    h('p', {}, 'Subclone builds this model\'s graph itself, as ', code(c.architecture), ' from ', code('config.json'), ', and reads the weights in place from ', weightsText, ': no ONNX export, nothing converted.'),
    h('dl', { class: 'facts' }, ...rows.map(([key, label, value]) => h('div', { class: 'fact', 'data-fact': key }, h('dt', {}, label), h('dd', {}, ...value)))),
    c.unused.length
      ? h('div', { class: 'callout warn', 'data-testid': 'unused-tensors' }, `Tensors ${c.architecture} does not use (${c.unused.length}), left out of the graph: `, ...c.unused.flatMap((t, i) => [i ? ', ' : '', code(t)]))
      : null,
  );
}

/** config.json's torch_dtype as the weight storage names it ("bfloat16" stays, "float" is float32). */
function dtypeName(configDtype: string): string {
  return configDtype === 'float' ? 'float32' : configDtype === 'half' ? 'float16' : configDtype;
}

function button(label: string, appearance: string, enabled: boolean, onClick: () => void): HTMLElement {
  const b = h('vscode-button', { appearance });
  b.textContent = label;
  if (!enabled) b.setAttribute('disabled', '');
  b.addEventListener('click', () => enabled && onClick());
  return b;
}

function architecture(r: Recognition): HTMLElement {
  const section = h('section', { id: 'architecture' }, h('h2', {}, 'Architecture'));
  if (r.status !== 'recognized') {
    section.append(h('div', { class: `callout ${r.status === 'unsupported' ? 'error' : 'info'}`, 'data-testid': 'recognition' }, r.reason));
    return section;
  }
  const d = r.dims;
  const ffn = Array.isArray(d.ffn) ? `${Math.min(...d.ffn)}–${Math.max(...d.ffn)}` : String(d.ffn);
  const dims: [string, string, string][] = [
    ['layers', 'Layers', String(d.layers)],
    ['dModel', 'Width (d_model)', String(d.dModel)],
    ['heads', 'Heads', d.kvHeads !== d.heads ? `${d.heads} (${d.kvHeads} KV)` : String(d.heads)],
    ['headDim', 'Head dim', String(d.headDim)],
    ['ffn', 'FFN', ffn],
    ['vocab', 'Vocabulary', d.vocab === null ? '—' : String(d.vocab)],
    ['context', 'Context', d.context === null ? 'unbounded' : String(d.context)],
  ];
  section.append(
    h('dl', { class: 'dims', 'data-testid': 'dims' }, ...dims.map(([key, label, value]) => h('div', { class: 'dim', 'data-dim': key }, h('dt', {}, label), h('dd', {}, value)))),
    h('div', { class: 'tags' }, ...flavourTags(r).map((t) => h('vscode-tag', {}, t))),
  );
  if (r.unsupported) section.append(h('div', { class: 'callout error', 'data-testid': 'unsupported' }, `Not supported yet: ${r.unsupported}`));
  if (r.warnings.length) section.append(h('ul', { class: 'warnings' }, ...r.warnings.map((w) => h('li', {}, w))));
  return section;
}

function flavourTags(r: Extract<Recognition, { status: 'recognized' }>): string[] {
  const f = r.flavour;
  return [
    `${f.normPlacement}-${f.norm === 'layernorm' ? 'LN' : 'RMSNorm'} (${f.normForm})`,
    f.activation.replace('_', ' '),
    f.gatedMlp ? 'gated MLP' : null,
    f.position === 'none' ? 'no positions' : `${f.position} positions`,
    f.fusedQkv ? 'fused QKV' : null,
    f.parallelResidual ? 'parallel residual' : null,
    f.biases ? 'biases' : 'no biases',
    f.head === 'none' ? 'no head' : `${f.head} head${f.tiedHead ? ' (tied)' : ''}`,
    f.tokenTypes ? 'token types' : null,
    f.kvCache ? 'KV cache' : null,
  ].filter((t): t is string => t !== null);
}

function parameters(data: OverviewData): HTMLElement {
  const section = h('section', { id: 'parameters' }, h('h2', {}, 'Parameters'));
  const r = data.recognition;
  if (r.status === 'recognized') {
    const c = r.parameterCounts;
    const parts: [string, number][] = [['Embedding', c.embedding], ['Attention', c.attention], ['MLP', c.mlp], ['Norms', c.norm], ['Head', c.head], ['Pooler', c.pooler], ['Other', c.other]];
    const shown = parts.filter(([, n]) => n > 0);
    section.append(
      h('p', { 'data-testid': 'parameters-total' }, `${formatCount(c.total)} parameters (${c.total.toLocaleString('en-US')})`),
      h('div', { class: 'bars' }, ...shown.map(([name, n]) => bar(name, n, c.total))),
    );
  } else {
    section.append(h('p', { 'data-testid': 'parameters-total' }, `${formatCount(data.parameters)} parameters (${data.parameters.toLocaleString('en-US')}) in ${data.initializers} initializers`));
  }
  const storage = Object.entries(data.weightBytes).map(([type, bytes]) => `${type}: ${formatBytes(bytes)}`).join(' · ');
  section.append(h('p', { class: 'muted' }, `Weight storage: ${storage || 'none'}`));
  return section;
}

function bar(name: string, n: number, total: number): HTMLElement {
  const share = total > 0 ? n / total : 0;
  const fill = h('div', { class: 'fill' });
  fill.style.width = `${(share * 100).toFixed(1)}%`;
  return h('div', { class: 'bar', 'data-component': name.toLowerCase() }, h('span', { class: 'name' }, name), h('div', { class: 'track' }, fill), h('span', { class: 'value' }, `${formatCount(n)} · ${(share * 100).toFixed(1)}%`));
}

function io(data: OverviewData): HTMLElement {
  const rows = (specs: ValueSpec[], kind: string) => specs.map((s) => [kind, s.name, s.dtype, shapeText(s.shape)]);
  return h(
    'section',
    { id: 'io' },
    h('h2', {}, 'Inputs and outputs'),
    grid('Inputs and outputs', ['', 'Name', 'Type', 'Shape'], [...rows(data.inputs, 'input'), ...rows(data.outputs, 'output')], 'io'),
  );
}

function operators(data: OverviewData): HTMLElement {
  return h(
    'section',
    { id: 'operators' },
    h('h2', {}, data.checkpoint ? `Operators of the graph Subclone built (${data.nodes} nodes)` : `Operators (${data.nodes} nodes)`),
    h('div', { class: 'chips' }, ...data.ops.map(([op, count]) => h('span', { class: 'chip' }, op, h('span', { class: 'count' }, String(count))))),
  );
}

function shapeText(shape: ValueSpec['shape']): string {
  return shape ? `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : '[?]';
}

function opsetText(opsets: Record<string, number>): string | null {
  const main = opsets['ai.onnx'];
  const others = Object.entries(opsets).filter(([d]) => d !== 'ai.onnx').map(([d, v]) => `${d} ${v}`);
  return [main !== undefined ? `opset ${main}` : null, ...others].filter(Boolean).join(', ') || null;
}
