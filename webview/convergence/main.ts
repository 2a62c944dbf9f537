// The convergence panel: three notebook-like cells (Setup, Run, Verdict) for one child model. Talks to the host
// only through src/protocol/convergenceProtocol.ts, starting with `ready`; draws what the host sends (the plan,
// the points, the file's verdict) and collects the Setup fields.
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeCheckbox, vsCodeProgressRing, vsCodeTextField } from '@vscode/webview-ui-toolkit';
import type { ToConvergence } from '../../src/protocol/convergenceProtocol';
import { h } from '../shared/dom';
import { onThemeChange, readTheme, type Theme } from '../shared/theme';
import { Controller } from './controller';
import { createRunCell, type RunCell } from './runCell';
import { createSetupCell, type SetupCell } from './setupCell';
import { createToolbar, type Toolbar } from './toolbar';
import { createVerdictCell, type VerdictCell } from './verdictCell';
import { vscode } from './vscodeApi';

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeCheckbox(), vsCodeProgressRing(), vsCodeTextField());

const found = document.getElementById('root');
if (!found) throw new Error('convergence: #root is missing');
const root: HTMLElement = found;

interface Page {
  toolbar: Toolbar;
  setup: SetupCell;
  run: RunCell;
  verdict: VerdictCell;
}

let page: Page | null = null;
let theme: Theme = readTheme();
let queued = false;
/** Set by a theme or width change: the charts and legends are drawn again even when the data did not change. */
let force = false;

const controller = new Controller({ post: (m) => vscode.postMessage(m), getState: () => vscode.getState(), setState: (s) => vscode.setState(s) }, repaint);

function repaint(): void {
  if (queued) return;
  queued = true;
  requestAnimationFrame(paint);
}

/** The width of a cell's body (all cells have the same); before the page is laid out, the root's less the gutter. */
function bodyWidth(p: Page): number {
  const body = p.setup.el.querySelector('.cell-body');
  const w = body instanceof HTMLElement ? body.clientWidth : 0;
  return w > 0 ? w : Math.max(320, root.clientWidth - 96);
}

function paint(): void {
  queued = false;
  const s = controller.model;
  if (!s) return;
  if (!page) {
    page = { toolbar: createToolbar(controller), setup: createSetupCell(controller), run: createRunCell(controller), verdict: createVerdictCell() };
    root.replaceChildren(h('div', { class: 'notebook' }, page.toolbar.el, page.toolbar.banners, page.setup.el, page.run.el, page.verdict.el));
    // The page's own live regions (progress, errors) speak; the whole root as one would read every table update.
    root.removeAttribute('aria-live');
  }
  const width = bodyWidth(page);
  const redraw = force;
  force = false;
  page.toolbar.paint(s);
  page.setup.paint(s);
  page.run.paint(s, theme, width, redraw);
  page.verdict.paint(s, theme, width, redraw);
}

onThemeChange(() => {
  theme = readTheme();
  force = true;
  repaint();
});
let lastWidth = root.clientWidth;
new ResizeObserver(() => {
  if (Math.abs(root.clientWidth - lastWidth) < 1) return;
  lastWidth = root.clientWidth;
  force = true;
  repaint();
}).observe(root);

window.addEventListener('message', (event: MessageEvent<ToConvergence>) => controller.handle(event.data));
root.replaceChildren(h('div', { class: 'loading' }, h('vscode-progress-ring', {}), h('span', {}, 'Reading the model…')));
vscode.postMessage({ type: 'ready' });
