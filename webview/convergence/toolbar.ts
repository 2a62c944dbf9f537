/** The panel's top bar: the title and "Open convergence.json" when the results are on disk; the banners below it. */
import { button, h } from '../shared/dom';
import type { Controller, PanelModel } from './controller';
import { shortPath } from './format';

export interface Toolbar {
  /** The sticky title bar. */
  el: HTMLElement;
  /** The banners (untrainable, actions disabled), below the bar: they scroll away with the page. */
  banners: HTMLElement;
  paint(s: PanelModel): void;
}

export function createToolbar(controller: Controller): Toolbar {
  const title = h('h1', { 'data-testid': 'panel-title' });
  let file: string | null = null;
  const openFile = button('Open convergence.json', 'secondary', () => file && controller.open(file), { 'data-testid': 'open-file' });
  const untrainable = h('div', { class: 'callout warning banner', 'data-testid': 'untrainable-banner', role: 'alert' });
  const disabled = h('div', { class: 'callout warning banner', 'data-testid': 'actions-disabled', role: 'note' });
  let lastBanners = '';
  const el = h('header', { class: 'toolbar-wrap' }, h('div', { class: 'toolbar' }, title, h('span', { class: 'spacer' }), openFile));
  const banners = h('div', { class: 'banners' }, untrainable, disabled);
  return {
    el,
    banners,
    paint(s) {
      const text = `Convergence check — ${shortPath(s.child.file)}`;
      if (title.textContent !== text) {
        title.textContent = text;
        title.title = s.child.file;
        document.title = text;
      }
      file = s.file;
      openFile.hidden = file === null;
      if (file) openFile.title = file;
      // Only on change: refilling a live region would announce it again on every repaint.
      const bannerKey = JSON.stringify([s.untrainable, s.actionsDisabledReason]);
      if (bannerKey === lastBanners) return;
      lastBanners = bannerKey;
      untrainable.hidden = s.untrainable === null;
      untrainable.replaceChildren(h('strong', {}, 'This model cannot be trained here: '), s.untrainable ?? '');
      disabled.hidden = s.actionsDisabledReason === null || s.untrainable !== null;
      disabled.replaceChildren(h('strong', {}, 'Actions are disabled: '), s.actionsDisabledReason ?? '');
    },
  };
}
