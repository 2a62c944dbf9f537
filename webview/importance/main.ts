// The neuron-importance panel (custom editor on *.importance.json): renders the report the host posts and asks the
// engine what a shape keeps. Talks to the host only through src/protocol/importanceProtocol.ts, starting with
// `ready`. Hovering, sorting and zooming stay in the webview.
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeDropdown,
  vsCodeOption,
  vsCodeProgressRing,
  vsCodeRadio,
  vsCodeRadioGroup,
  vsCodeTag,
  vsCodeTextField,
} from '@vscode/webview-ui-toolkit';
import type { ToImportance } from '../../src/protocol/importanceProtocol';
import { unreachable } from '../../src/protocol/webviewProtocol';
import { Controller } from './controller';
import { button, h } from '../shared/dom';
import { timed } from './paint';
import { Panel } from './panel';
import { emptyJob, initialUi, type PanelState } from './state';
import { onThemeChange, readTheme, type Theme } from '../shared/theme';
import { warmUp } from './warmUp';
import { vscode } from './vscodeApi';

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeDropdown(), vsCodeOption(), vsCodeProgressRing(), vsCodeRadio(), vsCodeRadioGroup(), vsCodeTag(), vsCodeTextField());

const found = document.getElementById('root');
if (!found) throw new Error('importance: #root is missing');
const root: HTMLElement = found;

let current: Controller | null = null;
let panel: Panel | null = null;
let theme: Theme = readTheme();
let queued = false;

function paintNow(): void {
  queued = false;
  if (panel && current) panel.paint({ s: current.state, theme, width: root.clientWidth, controller: current });
}

function repaint(): void {
  if (queued) return;
  queued = true;
  requestAnimationFrame(paintNow);
}

function showReport(message: Extract<ToImportance, { type: 'report' }>): void {
  const data = message.data;
  // Read before the panel is in the page: reading it after would lay out the whole new page once more.
  const width = root.clientWidth;
  const state: PanelState = {
    data,
    ui: initialUi(vscode.getState(), data),
    selection: null,
    selecting: false,
    inputError: null,
    selectError: null,
    scoring: emptyJob(),
    budget: emptyJob(),
    subclone: emptyJob(),
    paintVersion: 0,
  };
  const controller = new Controller(state, { post: (m) => vscode.postMessage(m), saveUi: (ui) => vscode.setState(ui) }, repaint);
  current = controller;
  const built = (panel = timed('build', () => new Panel(data, controller)));
  // Painted before it is connected: a canvas in the page makes the browser recompute the whole new page's style
  // each time a font is set on it; detached, the canvases and charts draw without that.
  queued = false;
  built.paint({ s: state, theme, width, controller });
  timed('connect', () => root.replaceChildren(built.el));
  document.title = data.fileName;
  controller.select(true);
}

function showMessage(message: ToImportance): void {
  switch (message.type) {
    case 'loading':
      panel = null;
      root.replaceChildren(h('div', { class: 'loading' }, h('vscode-progress-ring', {}), h('span', {}, `Reading ${message.fileName}…`)));
      return;
    case 'report':
      timed('report', () => showReport(message));
      return;
    case 'loadError': {
      panel = null;
      const retry = button('Read Again', 'secondary', () => vscode.postMessage({ type: 'reload' }));
      root.replaceChildren(h('div', { class: 'callout error', role: 'alert' }, h('h2', {}, `${message.fileName} could not be read`), h('p', {}, message.message), h('p', { class: 'muted' }, `(${message.code})`), retry));
      return;
    }
    case 'selection':
    case 'progress':
    case 'blockScores':
    case 'budget':
    case 'subcloned':
    case 'requestError':
      current?.handle(message);
      return;
    default:
      unreachable(message, 'host message');
  }
}

function invalidate(): void {
  if (!current) return;
  current.state.paintVersion++;
  repaint();
}

onThemeChange(() => {
  theme = readTheme();
  invalidate();
});
let lastWidth = root.clientWidth;
new ResizeObserver(() => {
  if (Math.abs(root.clientWidth - lastWidth) < 1) return;
  lastWidth = root.clientWidth;
  invalidate();
}).observe(root);

window.addEventListener('message', (event: MessageEvent<ToImportance>) => showMessage(event.data));
vscode.postMessage({ type: 'ready' });
warmUp(theme);
