/**
 * The Run cell's two live charts (validation loss, the main one, and training loss against step): one series per
 * run, styled by runStyles; a shared tooltip with every run's loss at the hovered step; an optional log y axis;
 * the verdict's target as a rule on the validation chart.
 */
import type uPlot from 'uplot';
import { Chart, horizontalRule, type ChartSpec } from '../shared/charts';
import type { Theme } from '../shared/theme';
import { hideTooltip, showTooltip } from '../shared/tooltip';
import { alignRuns, logLossTicks, lossChartLabel, type LossKind } from './curves';
import { formatLoss, formatStep } from './format';
import type { RunStyle } from './runStyles';
import type { RunRow } from './sweep';

export interface LossChartInput {
  runs: readonly RunRow[];
  styles: readonly RunStyle[];
  logScale: boolean;
  /** The verdict's target (the best random run's final validation loss), drawn on the validation chart. */
  target: number | null;
}

export function lossChartSpec(kind: LossKind, input: LossChartInput, height: number): ChartSpec {
  const data = alignRuns(input.runs, kind);
  const series: uPlot.Series[] = input.styles.map((s) => ({
    label: s.label,
    stroke: s.stroke,
    width: s.width,
    dash: s.dash.length ? s.dash : undefined,
    spanGaps: true,
    // A run with one or two evaluations has no line to speak of yet: show its points until it has.
    points: { show: (u: uPlot, i: number) => evaluations(u.data[i]) < 3, size: 5 },
  }));
  const target = kind === 'valLoss' ? input.target : null;
  return {
    label: lossChartLabel(input.runs, kind),
    height,
    xLabel: 'step',
    yLabel: kind === 'valLoss' ? 'validation loss' : 'training loss',
    series,
    data,
    scales: {
      // The whole planned run from the start, so the axis does not rescale as points arrive.
      x: { time: false, range: [0, Math.max(1, ...input.runs.map((r) => r.steps))] },
      y: input.logScale ? { distr: 3, log: 10, range: logRange } : { range: linearRange },
    },
    // uPlot's log axis passes null for the splits it leaves unlabelled.
    yValues: (v) => (typeof v === 'number' && Number.isFinite(v) ? String(Number(v.toPrecision(3))) : ''),
    ySplits: input.logScale ? (min, max) => logLossTicks(min, max, Math.max(3, Math.floor(height / 40))) : undefined,
    legend: false,
    onCursor: (u) => cursorTooltip(u, input.styles),
    over: target === null ? undefined : (u, theme: Theme) => horizontalRule(u, target, theme.muted, `target ${formatLoss(target)}`, theme),
  };
}

function evaluations(ys: uPlot.AlignedData[number] | undefined): number {
  let n = 0;
  for (const v of ys ?? []) if (v !== null && v !== undefined) n++;
  return n;
}

/** A little room above and below the curves (uPlot's log default snaps to whole decades: 1 to 10 for losses of 2 to 5). */
function logRange(_u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax {
  if (min === null || max === null || !(min > 0)) return [1, 10];
  return [min / 1.04, max * 1.04];
}

function linearRange(_u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax {
  if (min === null || max === null) return [0, 1];
  const pad = Math.max((max - min) * 0.05, 0.01);
  return [Math.max(0, min - pad), max + pad];
}

function cursorTooltip(u: uPlot, styles: readonly RunStyle[]): void {
  const idx = u.cursor.idx;
  if (idx === null || idx === undefined || u.cursor.left === undefined || u.cursor.left < 0) {
    hideTooltip();
    return;
  }
  const lines: [string, string][] = [];
  styles.forEach((s, i) => {
    const v = u.data[i + 1]?.[idx];
    if (v !== null && v !== undefined) lines.push([s.label, formatLoss(v)]);
  });
  if (!lines.length) {
    hideTooltip();
    return;
  }
  const rect = u.over.getBoundingClientRect();
  showTooltip({ title: `step ${formatStep(u.data[0][idx])}`, lines }, rect.left + (u.cursor.left ?? 0), rect.top + (u.cursor.top ?? 0));
}

/** The two charts, side by side (the validation one wider), each with its text alternative. */
export class LossCharts {
  readonly val = new Chart('val-chart');
  readonly train = new Chart('train-chart');

  paint(input: LossChartInput, theme: Theme, valWidth: number, trainWidth: number): void {
    this.val.render(lossChartSpec('valLoss', input, 300), theme, valWidth);
    this.train.render(lossChartSpec('trainLoss', input, 300), theme, trainWidth);
  }
}
