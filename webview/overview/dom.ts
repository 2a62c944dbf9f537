/** The overview's DOM helpers besides the shared ones (webview/shared/dom.ts): its data grids and byte sizes. */
import { h } from '../shared/dom';

/** A toolkit data grid with a header row; `cells` are plain text. */
export function grid(label: string, headers: string[], rows: string[][], testId: string): HTMLElement {
  const header = h('vscode-data-grid-row', { 'row-type': 'header' }, ...headers.map((text, i) => h('vscode-data-grid-cell', { 'cell-type': 'columnheader', 'grid-column': String(i + 1) }, text)));
  const body = rows.map((row) => h('vscode-data-grid-row', {}, ...row.map((text, i) => h('vscode-data-grid-cell', { 'grid-column': String(i + 1) }, text))));
  return h('vscode-data-grid', { 'aria-label': label, 'grid-template-columns': headers.map(() => '1fr').join(' '), 'data-testid': testId }, header, ...body);
}

/** "11.3 MB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
