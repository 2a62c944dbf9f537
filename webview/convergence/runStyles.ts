/**
 * How each run is drawn: colour by init (subclone: the theme's accent, random init: its second colour), line style
 * by the rank of the learning rate within its init (lowest solid, then dashed, dotted, dash-dot, …), the best run of
 * each init a little thicker once there is a verdict. DOM-free.
 */
import { sameLr } from '../../src/protocol/convergenceFormat';
import type { RunInit } from '../../src/protocol/convergenceProtocol';
import { formatLr, runName } from './format';

export interface LineDash {
  name: string;
  /** uPlot / canvas dash pattern in css px; empty = solid. */
  dash: number[];
}

/** In order of the learning rate's rank within its init; a sweep of more than six reuses them from the start. */
export const LINE_DASHES: readonly LineDash[] = [
  { name: 'solid', dash: [] },
  { name: 'dashed', dash: [7, 4] },
  { name: 'dotted', dash: [1.5, 3] },
  { name: 'dash-dot', dash: [8, 3, 1.5, 3] },
  { name: 'long dash', dash: [14, 4] },
  { name: 'dash-dot-dot', dash: [8, 3, 1.5, 3, 1.5, 3] },
];

export interface RunStyle {
  init: RunInit;
  lr: number;
  /** "subclone 3e-3". */
  label: string;
  stroke: string;
  dash: number[];
  dashName: string;
  width: number;
  /** The best run of its init (by the verdict). */
  best: boolean;
}

export interface InitColours {
  subclone: string;
  random: string;
}

export const LINE_WIDTH = 1.5;
export const BEST_LINE_WIDTH = 2.75;

/** The rank of each run's learning rate among the runs of the same init (0 = the lowest). */
export function lrRanks(runs: readonly { init: RunInit; lr: number }[]): number[] {
  return runs.map((r) => {
    const lower = new Set<string>();
    for (const o of runs) if (o.init === r.init && o.lr < r.lr && !sameLr(o.lr, r.lr)) lower.add(formatLr(o.lr));
    return lower.size;
  });
}

export function runStyles(runs: readonly { init: RunInit; lr: number }[], colours: InitColours, bestLr: { subclone: number | null; random: number | null } | null = null): RunStyle[] {
  const ranks = lrRanks(runs);
  return runs.map((r, i) => {
    const dash = LINE_DASHES[ranks[i] % LINE_DASHES.length];
    const bestOfInit = bestLr?.[r.init] ?? null;
    const best = bestOfInit !== null && sameLr(bestOfInit, r.lr);
    return {
      init: r.init,
      lr: r.lr,
      label: runName(r.init, r.lr),
      stroke: colours[r.init],
      dash: [...dash.dash],
      dashName: dash.name,
      width: best ? BEST_LINE_WIDTH : LINE_WIDTH,
      best,
    };
  });
}
