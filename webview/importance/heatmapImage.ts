/**
 * The pixels of a heatmap, without the DOM: a colour per (row, column bin) from the bin's maximum through the
 * colour map, pulled toward the background where the bin is not kept, and the kept-marker strip. Colours are
 * RGBA words for an Int32Array view of ImageData (little-endian: R is the low byte; int32, so never boxed).
 */
import type { HeatmapSpec } from './canvasHeatmap';
import { binFraction, binMax, type ColumnBins } from './derive';
import type { Theme } from '../shared/theme';

export function rgba(r: number, g: number, b: number, a: number): number {
  return (a << 24) | (b << 16) | (g << 8) | r;
}

/** One colour per (row, bin), and its luminance (to pick black or white cell text). */
export function binColors(spec: HeatmapSpec, bins: ColumnBins, theme: Pick<Theme, 'backgroundRgb' | 'dim'>): { colors: Int32Array; luminance: Float32Array } {
  const n = bins.count;
  const lut = spec.lut.rgb;
  const top = spec.lut.size - 1;
  const value = new Float32Array(n);
  const frac = new Float32Array(n);
  const [br, bgc, bb] = theme.backgroundRgb;
  const dim = theme.dim;
  const colors = new Int32Array(spec.rows * n);
  const luminance = new Float32Array(spec.rows * n);
  for (let r = 0; r < spec.rows; r++) {
    const order = spec.order(r);
    binMax(spec.values[r], order, bins, value, spec.sortedOrder ?? false);
    const mask = spec.kept?.(r) ?? null;
    if (mask) binFraction(mask, order, bins, frac);
    const dropped = spec.droppedRows?.[r] ?? false;
    for (let b = 0; b < n; b++) {
      const t = spec.norm(value[b]);
      const li = (t > 0 ? (t < 1 ? Math.round(t * top) : top) : 0) * 3;
      const a = dropped ? dim + (1 - dim) * 0.4 : mask ? (1 - frac[b]) * dim : 0;
      const cr = Math.round(lut[li] + (br - lut[li]) * a);
      const cg = Math.round(lut[li + 1] + (bgc - lut[li + 1]) * a);
      const cb = Math.round(lut[li + 2] + (bb - lut[li + 2]) * a);
      colors[r * n + b] = rgba(cr, cg, cb, 255);
      luminance[r * n + b] = 0.299 * cr + 0.587 * cg + 0.114 * cb;
    }
  }
  return { colors, luminance };
}

/** The kept marks above the rows: the accent where a bin's columns are kept, a faint track elsewhere. */
export function fillStrip(px: Int32Array, w: number, rows: number, binAtX: Int32Array, spec: HeatmapSpec, bins: ColumnBins, theme: Pick<Theme, 'accentRgb' | 'backgroundRgb'>): void {
  const frac = binFraction(spec.strip!, spec.order(0), bins);
  const [ar, ag, ab] = theme.accentRgb;
  const [br, bgc, bb] = theme.backgroundRgb;
  const track = 0.85;
  const line = new Int32Array(w);
  for (let x = 0; x < w; x++) {
    const t = track * (1 - frac[binAtX[x]]);
    line[x] = rgba(Math.round(ar + (br - ar) * t), Math.round(ag + (bgc - ag) * t), Math.round(ab + (bb - ab) * t), 255);
  }
  for (let y = 0; y < rows; y++) px.set(line, y * w);
}
