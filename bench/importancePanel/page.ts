/**
 * The harness page for the importance panel outside VS Code: the real bundle and stylesheets, the VS Code theme
 * variables a webview gets (Light Modern / Dark Modern / High Contrast values, set on <html> as VS Code does), the
 * view data as a script and the fake host. Used by the benchmark and the screenshot script.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

export const repoRoot = path.join(__dirname, '..', '..');

const common: Record<string, string> = {
  'font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif',
  'font-size': '13px',
  'font-weight': 'normal',
  'editor-font-family': '"Droid Sans Mono", "monospace", monospace',
  'editor-font-size': '14px',
  'charts-orange': '#d18616',
};

export const THEMES: Record<'light' | 'dark' | 'high-contrast', { bodyClass: string; vars: Record<string, string> }> = {
  light: {
    bodyClass: 'vscode-light',
    vars: {
      'editor-background': '#ffffff', foreground: '#3b3b3b', descriptionForeground: '#717171', focusBorder: '#005fb8', 'errorForeground': '#e51400',
      'button-background': '#005fb8', 'button-foreground': '#ffffff', 'button-hoverBackground': '#0258a8', 'button-border': '#0000001a',
      'button-secondaryBackground': '#e5e5e5', 'button-secondaryForeground': '#3b3b3b', 'button-secondaryHoverBackground': '#cccccc',
      'input-background': '#ffffff', 'input-foreground': '#3b3b3b', 'input-placeholderForeground': '#767676', 'dropdown-background': '#ffffff',
      'dropdown-border': '#cecece', 'dropdown-foreground': '#3b3b3b', 'checkbox-background': '#f8f8f8', 'checkbox-border': '#cecece',
      'widget-border': '#e5e5e5', 'panel-border': '#e5e5e5', 'editorWidget-background': '#f8f8f8', 'badge-background': '#cccccc', 'badge-foreground': '#3b3b3b',
      'progressBar-background': '#005fb8', 'textLink-foreground': '#005fb8', 'textBlockQuote-background': '#f8f8f8', 'editorWarning-foreground': '#bf8803',
      'charts-blue': '#1a85ff', 'charts-red': '#e51400', 'charts-green': '#388a34', 'list-hoverBackground': '#f2f2f2', 'list-inactiveSelectionBackground': '#e4e6f1',
      'editorHoverWidget-background': '#f8f8f8', 'editorHoverWidget-border': '#c8c8c8', 'widget-shadow': '#00000029', 'panelTitle-activeBorder': '#005fb8',
      'list-activeSelectionBackground': '#e8e8e8', 'list-activeSelectionForeground': '#000000', 'settings-dropdownListBorder': '#cecece',
    },
  },
  dark: {
    bodyClass: 'vscode-dark',
    vars: {
      'editor-background': '#1f1f1f', foreground: '#cccccc', descriptionForeground: '#9d9d9d', focusBorder: '#0078d4', errorForeground: '#f85149',
      'button-background': '#0078d4', 'button-foreground': '#ffffff', 'button-hoverBackground': '#026ec1', 'button-border': '#ffffff12',
      'button-secondaryBackground': '#313131', 'button-secondaryForeground': '#cccccc', 'button-secondaryHoverBackground': '#3c3c3c',
      'input-background': '#313131', 'input-foreground': '#cccccc', 'input-placeholderForeground': '#989898', 'dropdown-background': '#313131',
      'dropdown-border': '#3c3c3c', 'dropdown-foreground': '#cccccc', 'checkbox-background': '#313131', 'checkbox-border': '#3c3c3c',
      'widget-border': '#313131', 'panel-border': '#2b2b2b', 'editorWidget-background': '#202020', 'badge-background': '#616161', 'badge-foreground': '#f8f8f8',
      'progressBar-background': '#0078d4', 'textLink-foreground': '#4daafc', 'textBlockQuote-background': '#2b2b2b', 'editorWarning-foreground': '#cca700',
      'charts-blue': '#3794ff', 'charts-red': '#f14c4c', 'charts-green': '#89d185', 'list-hoverBackground': '#2a2d2e', 'list-inactiveSelectionBackground': '#37373d',
      'editorHoverWidget-background': '#202020', 'editorHoverWidget-border': '#454545', 'widget-shadow': '#0000005c', 'panelTitle-activeBorder': '#0078d4',
      'list-activeSelectionBackground': '#04395e', 'list-activeSelectionForeground': '#ffffff', 'settings-dropdownListBorder': '#454545',
    },
  },
  'high-contrast': {
    bodyClass: 'vscode-high-contrast',
    vars: {
      'editor-background': '#000000', foreground: '#ffffff', descriptionForeground: '#ffffffb3', focusBorder: '#f38518', errorForeground: '#f48771',
      contrastBorder: '#6fc3df', contrastActiveBorder: '#f38518', 'button-background': '#000000', 'button-foreground': '#ffffff', 'button-border': '#6fc3df',
      'button-secondaryBackground': '#000000', 'button-secondaryForeground': '#ffffff', 'input-background': '#000000', 'input-foreground': '#ffffff',
      'dropdown-background': '#000000', 'dropdown-border': '#6fc3df', 'dropdown-foreground': '#ffffff', 'checkbox-background': '#000000', 'checkbox-border': '#6fc3df',
      'panel-border': '#6fc3df', 'editorWidget-background': '#0c141f', 'textLink-foreground': '#21a6ff', 'textBlockQuote-background': '#000000',
      'editorWarning-foreground': '#ffd370', 'charts-blue': '#3794ff', 'charts-red': '#f14c4c', 'progressBar-background': '#6fc3df',
      'editorHoverWidget-background': '#0c141f', 'editorHoverWidget-border': '#6fc3df',
    },
  },
};

export type ThemeName = keyof typeof THEMES;

/** The style attribute VS Code would put on <html> for a theme. */
export function themeStyle(theme: ThemeName): string {
  const vars = { ...common, ...THEMES[theme].vars };
  return Object.entries(vars).map(([k, v]) => `--vscode-${k}: ${v.replace(/"/g, '&quot;')}`).join('; ');
}

/** Builds the webview bundle and the fake host into dir. */
export async function buildAssets(dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync(process.execPath, [path.join(repoRoot, 'esbuild.config.mjs'), '--webview-only'], { cwd: repoRoot, stdio: 'inherit' });
  for (const entry of ['fakeHost', 'measure']) {
    await esbuild.build({ entryPoints: [path.join(__dirname, `${entry}.ts`)], bundle: true, format: 'iife', platform: 'browser', target: 'es2022', outfile: path.join(dir, `${entry}.js`), logLevel: 'warning' });
  }
}

/** Writes `<name>.html` and `<name>.view.js` into dir; returns the page's file:// URL. */
export function writePage(dir: string, name: string, view: unknown, theme: ThemeName, autoReport: boolean): string {
  fs.writeFileSync(path.join(dir, `${name}.view.js`), `window.__VIEW = ${JSON.stringify(view)};`);
  const rel = (p: string) => path.relative(dir, path.join(repoRoot, p));
  const html = `<!doctype html>
<html lang="en" style="${themeStyle(theme)}">
<head>
<meta charset="utf-8">
<link rel="stylesheet" href="${rel('dist/webview/uplot.css')}">
<link rel="stylesheet" href="${rel('media/charts.css')}">
<link rel="stylesheet" href="${rel('media/panel.css')}">
<link rel="stylesheet" href="${rel('media/importance.css')}">
<script src="${name}.view.js"></script>
<script src="fakeHost.js"></script>
<script src="measure.js"></script>
<script>window.__host.autoReport = ${autoReport};</script>
</head>
<body class="${THEMES[theme].bodyClass}">
<main id="root" aria-live="polite"></main>
<script src="${rel('dist/webview/importance.js')}"></script>
</body>
</html>
`;
  const file = path.join(dir, `${name}.html`);
  fs.writeFileSync(file, html);
  return `file://${file}`;
}

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
