/**
 * uPlot line and bar charts themed from VS Code's colours. A Chart owns one uPlot instance and rebuilds it when
 * its options change (data, theme, width); every chart has a text alternative on its wrapper.
 */
import uPlot from 'uplot';
import { h } from './dom';
import { canvasFont, type Theme } from './theme';

export interface ChartSpec {
  /** The text alternative (summary of what the chart shows). */
  label: string;
  height: number;
  xLabel: string;
  yLabel: string;
  series: uPlot.Series[];
  data: uPlot.AlignedData;
  scales?: uPlot.Scales;
  /** Integer categories on x (bars): the labels of positions 0…n−1. */
  categories?: string[];
  yValues?: (v: number) => string;
  /** Where the y ticks go (e.g. 2, 2.5, 3, 4 on a log axis, where uPlot's own start at the range's minimum). */
  ySplits?: (min: number, max: number) => number[];
  /** Drawn behind the series (e.g. bands for kept blocks), css px via u.valToPos(…, true). */
  under?: (u: uPlot, theme: Theme) => void;
  /** Drawn over the series (threshold lines, the current d). */
  over?: (u: uPlot, theme: Theme) => void;
  /** uPlot's own legend under the chart (default: shown); a chart with its own legend and tooltip hides it. */
  legend?: boolean;
  /** Called when the cursor moves over the plot or leaves it (u.cursor.idx null), e.g. to show a tooltip. */
  onCursor?: (u: uPlot) => void;
}

export class Chart {
  readonly el: HTMLElement;
  private plot: uPlot | null = null;
  private spec: ChartSpec | null = null;
  private shapeKey = '';

  constructor(testId?: string) {
    this.el = h('div', { class: 'chart', role: 'img', ...(testId ? { 'data-testid': testId } : {}) });
  }

  /** Draws the chart; when only the data or marks changed (same theme, width and series), updates it in place. */
  render(spec: ChartSpec, theme: Theme, width: number): void {
    const w = Math.max(200, Math.floor(width));
    const key = JSON.stringify([theme.kind, theme.accent, w, spec.height, spec.series.map(seriesKey), spec.categories, spec.scales, spec.legend]);
    this.spec = spec;
    this.el.setAttribute('aria-label', spec.label);
    if (this.plot && key === this.shapeKey) {
      this.plot.setData(spec.data);
      return;
    }
    this.plot?.destroy();
    this.shapeKey = key;
    this.plot = new uPlot(this.options(spec, theme, w), spec.data, this.el);
  }

  private options(spec: ChartSpec, theme: Theme, width: number): uPlot.Options {
    // The hooks read the latest spec, so setData redraws the current marks.
    const under = (u: uPlot) => this.spec?.under?.(u, theme);
    const over = (u: uPlot) => this.spec?.over?.(u, theme);
    const cursor = (u: uPlot) => this.spec?.onCursor?.(u);
    return { ...options(spec, theme, width), hooks: { drawClear: [under], draw: [over], setCursor: [cursor] } };
  }
}

/** What of a series needs a new plot when it changes: its label and, when given as values, its line style. */
function seriesKey(s: uPlot.Series): unknown {
  const style = (v: unknown) => (typeof v === 'string' || typeof v === 'number' || Array.isArray(v) ? v : null);
  return [s.label, style(s.stroke), style(s.width), style(s.dash), style(s.fill)];
}

function options(spec: ChartSpec, theme: Theme, width: number): uPlot.Options {
  const axis = (label: string): uPlot.Axis => ({
    label,
    stroke: theme.muted,
    font: canvasFont(theme, 10),
    labelFont: canvasFont(theme, 11),
    labelSize: 18,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.grid, width: 1, size: 4 },
  });
  const x = axis(spec.xLabel);
  const y: uPlot.Axis = { ...axis(spec.yLabel), size: 46 };
  if (spec.yValues) y.values = (_u, splits) => splits.map((v) => spec.yValues!(v));
  if (spec.ySplits) y.splits = (_u, _axis, min, max) => spec.ySplits!(min, max);
  const cats = spec.categories;
  if (cats) {
    x.splits = () => cats.map((_, i) => i);
    x.values = (_u, splits) => splits.map((i) => cats[i] ?? '');
    x.grid = { show: false };
    const labelWidth = 7 * Math.max(...cats.map((c) => c.length)) + 12;
    const every = Math.max(1, Math.ceil((cats.length * labelWidth) / width));
    x.filter = (_u, splits) => splits.map((v) => (v % every === 0 ? v : null));
  }
  return {
    width,
    height: spec.height,
    series: [{ label: spec.xLabel, value: cats ? (_u, v) => (v === null ? '' : cats[v] ?? '') : undefined }, ...spec.series],
    scales: { x: { time: false, ...(cats ? { range: [-0.5, cats.length - 0.5] as uPlot.Range.MinMax } : {}) }, ...spec.scales },
    axes: [x, y],
    cursor: { points: { size: 6 }, drag: { x: false, y: false } },
    legend: { show: spec.legend ?? true, live: true },
  };
}

/** Bar series paths: side by side when there are several (align −1 / 1), centred when alone. */
export function barPaths(align: -1 | 0 | 1 = 0, size = 0.6): uPlot.Series.PathBuilder {
  return uPlot.paths.bars!({ align, size: [size, 40] });
}

/** Draws a horizontal dashed line at y = value with a label at the right end. */
export function horizontalRule(u: uPlot, value: number, color: string, label: string, theme: Theme): void {
  const ctx = u.ctx;
  const y = u.valToPos(value, 'y', true);
  const { left, width } = u.bbox;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.setLineDash([5 * devicePixelRatio, 4 * devicePixelRatio]);
  ctx.lineWidth = devicePixelRatio;
  ctx.beginPath();
  ctx.moveTo(left, y);
  ctx.lineTo(left + width, y);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.fillStyle = color;
  ctx.font = canvasFont(theme, 10 * devicePixelRatio);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'bottom';
  ctx.fillText(label, left + width - 4, y - 3);
  ctx.restore();
}

/** Shades the categories in `indices` (bars at integer x) behind the series. */
export function shadeCategories(u: uPlot, indices: readonly number[], color: string): void {
  const ctx = u.ctx;
  ctx.save();
  ctx.fillStyle = color;
  for (const i of indices) {
    const x0 = u.valToPos(i - 0.5, 'x', true);
    const x1 = u.valToPos(i + 0.5, 'x', true);
    ctx.fillRect(x0, u.bbox.top, x1 - x0, u.bbox.height);
  }
  ctx.restore();
}
