/** Colour legends: a colour bar with ticks for a heatmap's scale, and the kept / not-kept key. */
import { blendInto, lutColor, type Lut } from '../shared/colorScale';
import { h } from '../shared/dom';
import type { LegendTick } from '../shared/colorScale';
import type { Theme } from '../shared/theme';

export type { LegendTick };

/** "title [▇▇▇▇▇▇]" with tick labels under the bar. */
export function colorLegend(title: string, lut: Lut, ticks: LegendTick[]): HTMLElement {
  const bar = h('canvas', { class: 'legend-bar', width: '256', height: '1', 'aria-hidden': 'true' });
  const ctx = bar.getContext('2d');
  if (ctx) {
    const img = new ImageData(256, 1);
    for (let i = 0; i < 256; i++) img.data.set([...lutColor(lut, i / 255), 255], i * 4);
    ctx.putImageData(img, 0, 0);
  }
  const labels = ticks.map((tick) => {
    const span = h('span', { class: `legend-tick${tick.t < 0.06 ? ' start' : tick.t > 0.94 ? ' end' : ''}` }, tick.label);
    span.style.left = `${(tick.t * 100).toFixed(2)}%`;
    return span;
  });
  const described = ticks.map((t) => t.label).join(', ');
  return h('figure', { class: 'legend', 'aria-label': `${title}: colour scale with ticks ${described}` }, h('figcaption', {}, title), h('div', { class: 'legend-scale' }, bar, h('div', { class: 'legend-ticks' }, ...labels)));
}

/** The key for kept highlighting: a full-colour swatch, a dimmed one and (optionally) the marker strip. */
export function keptLegend(theme: Theme, lut: Lut, strip: boolean): HTMLElement {
  const swatch = (dim: number) => {
    const c = h('canvas', { class: 'swatch', width: '1', height: '1', 'aria-hidden': 'true' });
    const ctx = c.getContext('2d');
    if (ctx) {
      const img = new ImageData(1, 1);
      blendInto(img.data, 0, lutColor(lut, 0.75), 0, theme.backgroundRgb, dim);
      img.data[3] = 255;
      ctx.putImageData(img, 0, 0);
    }
    return c;
  };
  const mark = h('span', { class: 'swatch strip-swatch', 'aria-hidden': 'true' });
  mark.style.background = theme.accent;
  return h(
    'div',
    { class: 'kept-legend' },
    h('span', {}, swatch(0), ' kept'),
    h('span', {}, swatch(theme.dim), ' not kept (dimmed)'),
    strip ? h('span', {}, mark, ' kept-neuron marks') : null,
  );
}
