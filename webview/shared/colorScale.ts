/**
 * Colour scales for canvas heatmaps: lookup tables sampled from d3-scale-chromatic's maps, a log and a linear
 * normaliser, and blending toward the background (how unkept cells are dimmed). DOM-free.
 */
import { interpolateRdBu, interpolateViridis } from 'd3-scale-chromatic';

export type Rgb = [number, number, number];

/** 256 RGB triples sampled from an interpolator (t in 0…1). */
export interface Lut {
  size: number;
  rgb: Uint8ClampedArray;
}

export function makeLut(interpolate: (t: number) => string, size = 256): Lut {
  const rgb = new Uint8ClampedArray(size * 3);
  for (let i = 0; i < size; i++) {
    const c = parseColor(interpolate(i / (size - 1))) ?? [0, 0, 0];
    rgb.set(c, i * 3);
  }
  return { size, rgb };
}

/** Importance: viridis, perceptually uniform and readable on light and dark backgrounds alike. */
export const SEQUENTIAL = makeLut(interpolateViridis);
/** Correlation: RdBu reversed, so positive ρ is red and negative blue, white at 0. */
export const DIVERGING = makeLut((t) => interpolateRdBu(1 - t));

/** The colour for t in 0…1 (clamped). */
export function lutColor(lut: Lut, t: number): Rgb {
  const i = lutIndex(lut, t) * 3;
  return [lut.rgb[i], lut.rgb[i + 1], lut.rgb[i + 2]];
}

export function lutIndex(lut: Lut, t: number): number {
  const x = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  return Math.round(x * (lut.size - 1));
}

/** "#rgb", "#rrggbb", "#rrggbbaa", "rgb(r, g, b)" or "rgba(r, g, b, a)" → RGB; null for anything else. */
export function parseColor(css: string): Rgb | null {
  const s = css.trim();
  const hex = /^#([0-9a-f]{3,8})$/i.exec(s);
  if (hex) {
    const h = hex[1];
    if (h.length === 3 || h.length === 4) return [0, 1, 2].map((i) => parseInt(h[i] + h[i], 16)) as Rgb;
    if (h.length === 6 || h.length === 8) return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as Rgb;
    return null;
  }
  const fn = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/i.exec(s);
  return fn ? [Number(fn[1]), Number(fn[2]), Number(fn[3])] : null;
}

/** Maps [lo, hi] (lo > 0) to 0…1 on a log scale; values at or below lo give 0. */
export function logNormalizer(lo: number, hi: number): (v: number) => number {
  const a = Math.log(lo);
  const span = Math.log(hi) - a || 1;
  return (v) => (v > lo ? (Math.log(v) - a) / span : 0);
}

/** Maps [lo, hi] to 0…1 linearly. */
export function linearNormalizer(lo: number, hi: number): (v: number) => number {
  const span = hi - lo || 1;
  return (v) => (v - lo) / span;
}

/** Ticks for a log legend: powers of ten inside [lo, hi] plus 2× and 5× when there are few. */
export function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  const steps = Math.log10(hi / lo) < 1.5 ? [1, 2, 5] : [1];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of steps) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(v);
    }
  }
  return ticks;
}

/** A mixed with the background: amount 0 keeps a, 1 gives bg. Writes into out at offset. */
export function blendInto(out: Uint8ClampedArray, offset: number, a: Rgb | Uint8ClampedArray, aOffset: number, bg: Rgb, amount: number): void {
  for (let k = 0; k < 3; k++) out[offset + k] = a[aOffset + k] + (bg[k] - a[aOffset + k]) * amount;
}

export interface LegendTick {
  /** Position on the colour bar, 0…1. */
  t: number;
  label: string;
}

/** Ticks for a log ratio scale: powers of ten (and 2×, 5×) inside [lo, hi], plus both ends when far from a tick. */
export function ratioTicks(lo: number, hi: number, norm: (v: number) => number): LegendTick[] {
  const ticks = logTicks(lo, hi).map((v) => ({ t: norm(v), label: formatRatioTick(v) }));
  for (const [v, t] of [[lo, 0], [hi, 1]] as const) if (ticks.every((k) => Math.abs(k.t - t) > 0.22)) ticks.push({ t, label: formatRatioTick(v) });
  return ticks.sort((a, b) => a.t - b.t);
}

/** "0.2×", "1×", "64×". */
export function formatRatioTick(v: number): string {
  return `${v >= 10 ? v.toFixed(0) : Number(v.toPrecision(v < 1 ? 1 : 2))}×`;
}

