/**
 * A heatmap on canvas: rows × columns of scores drawn as one image (ImageData, one pixel per column bin, scaled up
 * without smoothing), so 32 × 14336 cells cost one putImageData. When there are more columns than device pixels,
 * columns are binned and each bin shows its maximum. Unkept cells are pulled toward the background; an optional
 * strip above marks kept columns. The hover cursor is a bordered element moved with a transform, so hovering never redraws the
 * image. Focusable: the arrow keys move the cursor (Shift: 10 columns), Home/End jump to the row's ends.
 */
import { binColumns, binOf, type ColumnBins } from './derive';
import { binColors, fillStrip } from './heatmapImage';
import type { Lut } from '../shared/colorScale';
import { h } from '../shared/dom';
import { canvasFont, type Theme } from '../shared/theme';
import { hideTooltip, showTooltip, type TooltipContent } from '../shared/tooltip';

export interface HeatmapSpec {
  rows: number;
  cols: number;
  /** Per row, the values the colour encodes, in original column order. */
  values: readonly ArrayLike<number>[];
  /** Per row, display column → original column; null: the identity. */
  order: (row: number) => ArrayLike<number> | null;
  /** The orders sort each row by value, highest first (so a bin's first column is its maximum). */
  sortedOrder?: boolean;
  lut: Lut;
  /** Value → 0…1 on the colour scale. */
  norm: (v: number) => number;
  /** Per row, 0/1 per original column: 1 = kept. null: nothing highlighted in that row. */
  kept?: (row: number) => Uint8Array | null;
  /** Rows the shape drops entirely: drawn dim. */
  droppedRows?: readonly boolean[];
  /** A marker strip above the rows: kept columns (original order, through order(0)). */
  strip?: Uint8Array | null;
  rowLabel: (row: number) => string;
  rowLabelWidth: number;
  rowHeight: number;
  /** Fixed cell width (square matrices, head grids); otherwise the columns fill the width. */
  cellWidth?: number;
  /** Per-column tick labels (small grids); otherwise numeric ticks at display positions. */
  colLabel?: (col: number) => string;
  /** Text inside a cell when cells are large enough. */
  cellText?: (row: number, col: number) => string | null;
  /** Extra room on the right (css px) for decorate's marks. */
  rightGutter?: number;
  /** Extra marks on top of the image (css px coordinates). */
  decorate?: (ctx: CanvasRenderingContext2D, g: HeatmapGeometry) => void;
  /** The tooltip for a row and a range of display columns [start, end). */
  describe: (row: number, start: number, end: number) => TooltipContent;
  /** The canvas's text alternative. */
  label: string;
}

export interface HeatmapGeometry {
  left: number;
  top: number;
  width: number;
  height: number;
  rowHeight: number;
  /** css px per display column. */
  colWidth: number;
  theme: Theme;
}

const STRIP = 6;
const STRIP_GAP = 3;
const AXIS = 18;

export class CanvasHeatmap {
  readonly el: HTMLElement;
  private readonly base = h('canvas', { class: 'heatmap-base', 'aria-hidden': 'true' });
  private readonly cursorBox = h('div', { class: 'heatmap-cursor', 'aria-hidden': 'true' });
  private spec: HeatmapSpec | null = null;
  private geom: HeatmapGeometry | null = null;
  private bins: ColumnBins = binColumns(1, 1);
  private cursor: { row: number; bin: number } | null = null;
  private keyboard = false;
  /** Luminance of every drawn cell (rows × bins), to pick black or white cell text. */
  private luminance: Float32Array = new Float32Array(0);

  constructor(testId: string) {
    this.el = h('div', { class: 'heatmap', tabindex: '0', role: 'img', 'data-testid': testId }, this.base, this.cursorBox);
    this.base.addEventListener('mousemove', (e) => this.onPointer(e));
    this.base.addEventListener('mouseleave', () => this.setCursor(null));
    this.el.addEventListener('keydown', (e) => this.onKey(e));
    this.el.addEventListener('focus', () => {
      this.keyboard = true;
      this.setCursor(this.cursor ?? { row: 0, bin: 0 });
    });
    this.el.addEventListener('blur', () => {
      this.keyboard = false;
      this.setCursor(null);
    });
  }

  /** Draws the heatmap at the given css width (the container's). */
  draw(spec: HeatmapSpec, theme: Theme, availableWidth: number): void {
    this.spec = spec;
    this.el.setAttribute('aria-label', spec.label);
    const dpr = window.devicePixelRatio || 1;
    const top = spec.strip ? STRIP + STRIP_GAP : 0;
    const right = spec.rightGutter ?? 0;
    const width = spec.cellWidth ? spec.cellWidth * spec.cols : Math.max(40, Math.floor(availableWidth - spec.rowLabelWidth - right - 4));
    const height = spec.rows * spec.rowHeight;
    this.geom = { left: spec.rowLabelWidth, top, width, height, rowHeight: spec.rowHeight, colWidth: width / spec.cols, theme };
    this.bins = binColumns(spec.cols, width * dpr);
    const cssW = spec.rowLabelWidth + width + right + 4;
    const cssH = top + height + AXIS;
    this.base.width = Math.round(cssW * dpr);
    this.base.height = Math.round(cssH * dpr);
    this.base.style.width = `${cssW}px`;
    this.base.style.height = `${cssH}px`;
    const ctx = this.base.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);
    this.paintImage(ctx, spec, theme);
    this.paintLabels(ctx, spec, theme);
    this.paintCellText(ctx, spec);
    spec.decorate?.(ctx, this.geom);
    this.cursor = this.cursor && this.keyboard ? this.clampCursor(this.cursor) : null;
    if (this.cursor) this.setCursor(this.cursor);
  }

  /** How many pixel columns the last draw used (fewer than the columns when binned). */
  get columnBins(): number {
    return this.bins.count;
  }

  /** Moves the hover cursor as a pointer at display column `col` of `row` would (used by benchmarks and tests). */
  hoverCell(row: number, col: number): void {
    if (this.spec) this.setCursor({ row, bin: binOf(this.bins, this.spec.cols, col) });
  }

  /**
   * Colours every bin once, then writes the cells (and the kept strip) straight into one ImageData at device
   * resolution: one putImageData, no scaled drawImage.
   */
  private paintImage(ctx: CanvasRenderingContext2D, spec: HeatmapSpec, theme: Theme): void {
    const g = this.geom!;
    const dpr = window.devicePixelRatio || 1;
    const n = this.bins.count;
    const { colors, luminance } = binColors(spec, this.bins, theme);
    this.luminance = luminance;
    const x0 = Math.round(g.left * dpr);
    const w = Math.max(1, Math.round((g.left + g.width) * dpr) - x0);
    const h = Math.max(1, Math.round((g.top + g.height) * dpr));
    const binAtX = new Int32Array(w);
    for (let x = 0; x < w; x++) binAtX[x] = binOf(this.bins, spec.cols, Math.min(spec.cols - 1, Math.floor(((x + 0.5) / w) * spec.cols)));
    const image = new ImageData(w, h);
    const px = new Int32Array(image.data.buffer);
    const stripRows = spec.strip ? Math.round(STRIP * dpr) : 0;
    if (spec.strip) fillStrip(px, w, stripRows, binAtX, spec, this.bins, theme);
    const top = Math.round(g.top * dpr);
    const line = new Int32Array(w);
    let lineRow = -1;
    for (let y = top; y < h; y++) {
      const r = Math.min(spec.rows - 1, Math.floor(((y - top + 0.5) / (h - top)) * spec.rows));
      if (r !== lineRow) {
        const rowOffset = r * n;
        for (let x = 0; x < w; x++) line[x] = colors[rowOffset + binAtX[x]];
        lineRow = r;
      }
      px.set(line, y * w);
    }
    ctx.putImageData(image, x0, 0);
  }

  private paintLabels(ctx: CanvasRenderingContext2D, spec: HeatmapSpec, theme: Theme): void {
    const g = this.geom!;
    ctx.font = canvasFont(theme, Math.min(12, Math.max(9, spec.rowHeight - 2)));
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    const every = Math.max(1, Math.ceil(11 / spec.rowHeight));
    for (let r = 0; r < spec.rows; r++) {
      if (r % every !== 0 && r !== spec.rows - 1) continue;
      ctx.fillStyle = spec.droppedRows?.[r] ? theme.muted : theme.foreground;
      ctx.fillText(spec.rowLabel(r), g.left - 6, g.top + (r + 0.5) * g.rowHeight);
    }
    ctx.font = canvasFont(theme, 10);
    ctx.fillStyle = theme.muted;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const c of this.tickColumns(spec)) {
      const x = g.left + (c + 0.5) * g.colWidth;
      ctx.fillRect(Math.round(x), g.top + g.height, 1, 3);
      ctx.fillText(spec.colLabel ? spec.colLabel(c) : String(c), x, g.top + g.height + 5);
    }
  }

  private tickColumns(spec: HeatmapSpec): number[] {
    const g = this.geom!;
    const minGap = spec.colLabel ? 22 : 56;
    const raw = (minGap / g.width) * spec.cols;
    const step = spec.colLabel ? Math.max(1, Math.ceil(raw)) : niceStep(raw);
    const ticks: number[] = [];
    for (let c = 0; c < spec.cols; c += step) ticks.push(c);
    return ticks;
  }

  private paintCellText(ctx: CanvasRenderingContext2D, spec: HeatmapSpec): void {
    const g = this.geom!;
    // Numbers in cells only where they can be read and are few enough to mean something (a 6 × 6 grid, not 32 × 32).
    if (!spec.cellText || g.colWidth < 26 || g.rowHeight < 14 || this.bins.count !== spec.cols || spec.rows * spec.cols > 400) return;
    ctx.font = canvasFont(g.theme, Math.min(11, g.rowHeight - 4));
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    for (let r = 0; r < spec.rows; r++) {
      for (let c = 0; c < spec.cols; c++) {
        const text = spec.cellText(r, c);
        if (!text) continue;
        const x = g.left + (c + 0.5) * g.colWidth;
        const y = g.top + (r + 0.5) * g.rowHeight;
        ctx.fillStyle = this.luminance[r * spec.cols + c] > 140 ? '#000' : '#fff';
        ctx.fillText(text, x, y);
      }
    }
  }

  private onPointer(e: MouseEvent): void {
    const g = this.geom;
    if (!g || !this.spec) return;
    const x = e.offsetX - g.left;
    const y = e.offsetY - g.top;
    if (x < 0 || y < 0 || x >= g.width || y >= g.height) return this.setCursor(null);
    const col = Math.min(this.spec.cols - 1, Math.floor(x / g.colWidth));
    this.setCursor({ row: Math.floor(y / g.rowHeight), bin: binOf(this.bins, this.spec.cols, col) }, e.clientX, e.clientY);
  }

  private onKey(e: KeyboardEvent): void {
    if (!this.spec) return;
    const c = this.cursor ?? { row: 0, bin: 0 };
    const step = e.shiftKey ? 10 : 1;
    const moves: Record<string, () => { row: number; bin: number }> = {
      ArrowLeft: () => ({ row: c.row, bin: c.bin - step }),
      ArrowRight: () => ({ row: c.row, bin: c.bin + step }),
      ArrowUp: () => ({ row: c.row - 1, bin: c.bin }),
      ArrowDown: () => ({ row: c.row + 1, bin: c.bin }),
      Home: () => ({ row: c.row, bin: 0 }),
      End: () => ({ row: c.row, bin: this.bins.count - 1 }),
    };
    const move = moves[e.key];
    if (e.key === 'Escape') return this.setCursor(null);
    if (!move) return;
    e.preventDefault();
    this.setCursor(this.clampCursor(move()));
  }

  private clampCursor(c: { row: number; bin: number }): { row: number; bin: number } {
    const rows = this.spec?.rows ?? 1;
    return { row: Math.max(0, Math.min(rows - 1, c.row)), bin: Math.max(0, Math.min(this.bins.count - 1, c.bin)) };
  }

  private setCursor(c: { row: number; bin: number } | null, clientX?: number, clientY?: number): void {
    const g = this.geom;
    const spec = this.spec;
    if (!g || !spec) return;
    this.cursor = c;
    const box = this.cursorBox.style;
    if (!c) {
      box.display = 'none';
      return hideTooltip();
    }
    const start = this.bins.starts[c.bin];
    const end = this.bins.starts[c.bin + 1];
    const x0 = g.left + start * g.colWidth;
    const w = Math.max(2, (end - start) * g.colWidth);
    const y0 = g.top + c.row * g.rowHeight;
    box.display = 'block';
    box.width = `${w + 2}px`;
    box.height = `${g.rowHeight + 2}px`;
    box.transform = `translate(${x0 - 1}px, ${y0 - 1}px)`;
    const rect = this.base.getBoundingClientRect();
    showTooltip(spec.describe(c.row, start, end), clientX ?? rect.left + x0 + w, clientY ?? rect.top + y0 + g.rowHeight);
  }
}

/** 1, 2, 5, 10, 20, 50, … at or above x. */
export function niceStep(x: number): number {
  if (x <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}
