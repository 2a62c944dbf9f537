/** Tiny DOM helpers: build elements with text (never HTML strings, so names from a report cannot inject markup). */

export type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Record<string, string>, ...children: Child[]): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Record<string, string>, ...children: Child[]): HTMLElement;
export function h(tag: string, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** A toolkit button; `enabled` can change later with setEnabled. */
export function button(label: string, appearance: 'primary' | 'secondary' | 'icon', onClick: () => void, attrs: Record<string, string> = {}): HTMLElement {
  const b = h('vscode-button', { appearance, ...attrs }, label);
  b.addEventListener('click', () => {
    if (!b.hasAttribute('disabled')) onClick();
  });
  return b;
}

export function setEnabled(el: HTMLElement, enabled: boolean, reason: string | null = null): void {
  el.toggleAttribute('disabled', !enabled);
  if (!enabled && reason) el.setAttribute('title', reason);
  else el.removeAttribute('title');
}

/** The value of a toolkit control (text field, dropdown, radio group). */
export function valueOf(el: HTMLElement): string {
  return String((el as HTMLElement & { value?: unknown }).value ?? '');
}

export function setValue(el: HTMLElement, value: string): void {
  (el as HTMLElement & { value: string }).value = value;
}

/** A section with a heading, an optional one-line description and a body. */
export function section(id: string, title: string, description: string | null, ...body: Child[]): HTMLElement {
  return h('section', { id, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), description ? h('p', { class: 'muted lede' }, description) : null, ...body);
}

/** Text for screen readers only. */
export function srOnly(text: string): HTMLElement {
  return h('p', { class: 'sr-only' }, text);
}

/** A progress line: ring, message, percentage and a Cancel button. */
export function progressLine(message: string, fraction: number | undefined, onCancel: () => void): HTMLElement {
  const pct = fraction === undefined ? '' : ` ${Math.round(fraction * 100)}%`;
  return h('div', { class: 'progress', role: 'status' }, h('vscode-progress-ring', {}), h('span', {}, `${message}${pct}`), button('Cancel', 'secondary', onCancel, { 'data-testid': 'cancel-button' }));
}
