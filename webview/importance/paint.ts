/** What every section gets when the panel repaints, and a small helper to skip work when its inputs are unchanged. */
import type { Controller } from './controller';
import type { PanelState } from './state';
import type { Theme } from '../shared/theme';

export interface PaintContext {
  s: PanelState;
  theme: Theme;
  /** The content width in css px. */
  width: number;
  controller: Controller;
}

export interface Section {
  el: HTMLElement;
  paint(ctx: PaintContext): void;
}

/** Remembers the last inputs; changed() is true when any differs (by identity). */
export class Memo {
  private last: unknown[] | null = null;

  changed(...keys: unknown[]): boolean {
    const same = this.last !== null && this.last.length === keys.length && keys.every((k, i) => Object.is(k, this.last![i]));
    this.last = keys;
    return !same;
  }
}

/** The width of one column of a two-up row (one column below 900 px, where the CSS stacks them). */
export function columnWidth(width: number): number {
  return width >= 900 ? (width - 24) / 2 : width;
}

/** Runs fn inside a performance measure named `importance:<name>` (read by the benchmark; costs microseconds). */
export function timed<T>(name: string, fn: () => T): T {
  const start = performance.now();
  try {
    return fn();
  } finally {
    performance.measure(`importance:${name}`, { start, end: performance.now() });
  }
}
