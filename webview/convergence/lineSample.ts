/** A short sample of a run's line (colour, dash, width) as SVG, for the legend and the runs table. */
import type { RunStyle } from './runStyles';

const SVG = 'http://www.w3.org/2000/svg';

export function lineSample(style: RunStyle, width = 30): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', '10');
  svg.setAttribute('viewBox', `0 0 ${width} 10`);
  svg.setAttribute('aria-hidden', 'true');
  svg.classList.add('line-sample');
  const line = document.createElementNS(SVG, 'line');
  line.setAttribute('x1', '1');
  line.setAttribute('x2', String(width - 1));
  line.setAttribute('y1', '5');
  line.setAttribute('y2', '5');
  line.setAttribute('stroke', style.stroke);
  line.setAttribute('stroke-width', String(style.width));
  if (style.dash.length) line.setAttribute('stroke-dasharray', style.dash.join(' '));
  svg.append(line);
  return svg;
}
