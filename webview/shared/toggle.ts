/** A two-or-more-way toggle as a toolkit radio group (keyboard: arrows move within the group). */
import { h, valueOf } from './dom';

export function orderToggle<T extends string>(label: string, options: [T, string][], value: T, onChange: (v: T) => void): HTMLElement {
  const group = h('vscode-radio-group', { orientation: 'horizontal', value }, h('label', { slot: 'label' }, label), ...options.map(([v, text]) => h('vscode-radio', { value: v, ...(v === value ? { checked: '' } : {}) }, text)));
  let current = value;
  // The group also fires change while it sets itself up: only a real change is passed on.
  group.addEventListener('change', () => {
    const v = valueOf(group) as T;
    if (v === current || !options.some(([o]) => o === v)) return;
    current = v;
    onChange(v);
  });
  return group;
}
