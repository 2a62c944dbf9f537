/** One floating tooltip for every chart: a title and label/value lines, placed beside the pointer or cell. */
import { h } from './dom';

export interface TooltipContent {
  title: string;
  lines: [label: string, value: string][];
}

let el: HTMLElement | null = null;

function element(): HTMLElement {
  if (!el) {
    el = h('div', { class: 'tooltip', role: 'tooltip', id: 'chart-tooltip' });
    document.body.append(el);
  }
  return el;
}

/** Shows the tooltip near the viewport point (x, y), flipped to stay on screen. */
export function showTooltip(content: TooltipContent, x: number, y: number): void {
  const t = element();
  fill(t, content);
  t.style.display = 'block';
  const w = t.offsetWidth;
  const hgt = t.offsetHeight;
  const left = x + 14 + w > window.innerWidth ? Math.max(4, x - 14 - w) : x + 14;
  const top = y + 14 + hgt > window.innerHeight ? Math.max(4, y - 14 - hgt) : y + 14;
  t.style.transform = `translate(${Math.round(left)}px, ${Math.round(top)}px)`;
}

/** Updates the text in place when the lines are the same as last time (the usual case while moving). */
function fill(t: HTMLElement, content: TooltipContent): void {
  const labels = content.lines.map(([label]) => label).join('\n');
  if (t.dataset.labels !== labels || !t.firstElementChild) {
    t.dataset.labels = labels;
    t.replaceChildren(
      h('div', { class: 'tooltip-title' }),
      ...content.lines.map(([label]) => h('div', { class: 'tooltip-line' }, h('span', { class: 'tooltip-label' }, label), h('span', { class: 'tooltip-value' }))),
    );
  }
  const [title, ...lines] = Array.from(t.children);
  title.textContent = content.title;
  lines.forEach((line, i) => (line.lastElementChild!.textContent = content.lines[i][1]));
}

export function hideTooltip(): void {
  if (el) el.style.display = 'none';
}
