/**
 * The VS Code theme as the canvases need it: colours read from the webview's CSS variables (so light, dark and
 * high-contrast themes all work) and a callback when the theme changes (VS Code swaps the body class and the
 * variables on <html>).
 */
import { parseColor, type Rgb } from './colorScale';

export interface Theme {
  kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
  foreground: string;
  muted: string;
  background: string;
  backgroundRgb: Rgb;
  border: string;
  grid: string;
  accent: string;
  accentRgb: Rgb;
  /** The accent as a translucent fill (bars) and a faint band (kept blocks behind bars). */
  accentFill: string;
  accentBand: string;
  focus: string;
  warning: string;
  error: string;
  /** Secondary series colour (VS Code's chart orange). */
  second: string;
  fontFamily: string;
  monoFamily: string;
  /** How far unkept cells are pulled toward the background (0 = not at all, 1 = gone). */
  dim: number;
}

const probe = document.createElement('canvas').getContext('2d');

/** Any CSS colour as rgb (through the canvas's parser, so named colours work too). */
function rgbOf(css: string, fallback: Rgb): Rgb {
  const direct = parseColor(css);
  if (direct) return direct;
  if (!probe || !css) return fallback;
  probe.fillStyle = '#000';
  probe.fillStyle = css;
  return parseColor(String(probe.fillStyle)) ?? fallback;
}

export function readTheme(): Theme {
  const style = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const cls = document.body.classList;
  const kind: Theme['kind'] = cls.contains('vscode-high-contrast-light')
    ? 'high-contrast-light'
    : cls.contains('vscode-high-contrast')
      ? 'high-contrast'
      : cls.contains('vscode-light')
        ? 'light'
        : 'dark';
  const dark = kind === 'dark' || kind === 'high-contrast';
  const background = v('--vscode-editor-background', dark ? '#1e1e1e' : '#ffffff');
  const foreground = v('--vscode-foreground', dark ? '#cccccc' : '#3b3b3b');
  const accent = kind.startsWith('high') ? v('--vscode-contrastActiveBorder', v('--vscode-focusBorder', '#f38518')) : v('--vscode-charts-blue', dark ? '#3794ff' : '#1a85ff');
  const accentRgb = rgbOf(accent, [55, 148, 255]);
  const rgba = (a: number) => `rgba(${accentRgb.join(', ')}, ${a})`;
  const border = v('--vscode-contrastBorder', '') || v('--vscode-widget-border', '') || v('--vscode-panel-border', dark ? '#454545' : '#d4d4d4');
  return {
    kind,
    foreground,
    muted: v('--vscode-descriptionForeground', foreground),
    background,
    backgroundRgb: rgbOf(background, dark ? [30, 30, 30] : [255, 255, 255]),
    border,
    grid: dark ? 'rgba(255,255,255,0.09)' : 'rgba(0,0,0,0.08)',
    accent,
    accentRgb,
    accentFill: rgba(0.6),
    accentBand: rgba(dark ? 0.16 : 0.1),
    focus: v('--vscode-focusBorder', accent),
    warning: v('--vscode-editorWarning-foreground', '#cca700'),
    error: v('--vscode-errorForeground', '#f14c4c'),
    // High contrast themes take the orange border as the accent: the second series is blue there.
    second: kind.startsWith('high') ? v('--vscode-charts-blue', '#3794ff') : v('--vscode-charts-orange', '#d18616'),
    fontFamily: v('--vscode-font-family', 'system-ui, sans-serif'),
    monoFamily: v('--vscode-editor-font-family', 'monospace'),
    dim: kind.startsWith('high') ? 0.85 : 0.72,
  };
}

/** Calls back (at most once a frame) when VS Code changes the theme. */
export function onThemeChange(callback: () => void): void {
  let queued = false;
  const fire = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      callback();
    });
  };
  const observer = new MutationObserver(fire);
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
}

/** "11px <family>": the canvas font for axis and cell text. */
export function canvasFont(theme: Theme, px = 11, weight = ''): string {
  return `${weight ? `${weight} ` : ''}${px}px ${theme.fontFamily}`;
}
