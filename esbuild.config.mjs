// Builds every bundle: the extension host, the CLI, the model worker, the webviews and the extension-host tests.
// Usage: node esbuild.config.mjs [--watch] [--production] [--webview-only]
import * as esbuild from 'esbuild';
import { readFileSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const webviewOnly = process.argv.includes('--webview-only');
const version = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).version;

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  // onnxruntime-node carries native binaries and must stay a real module; vscode is provided by the host.
  external: ['vscode', 'onnxruntime-node', 'mocha'],
  define: { __SUBCLONE_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
};

const builds = [
  { ...node, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { cli: 'src/cli/index.ts' }, outdir: 'dist'},
  { ...node, entryPoints: { worker: 'src/worker/main.ts' }, outdir: 'dist' },
  // One convergence-sweep member per worker thread, started by the CLI and by the worker (src/core/converge/memberPool.ts).
  { ...node, entryPoints: { convergeMember: 'src/core/converge/memberThread.ts' }, outdir: 'dist' },
  // The recognition probe's run, in a process of its own (src/core/graph/probe.ts).
  { ...node, entryPoints: { probeProcess: 'src/core/graph/probeProcess.ts' }, outdir: 'dist' },
  {
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    sourcemap: !production,
    minify: production,
    entryPoints: { overview: 'webview/overview/main.ts', importance: 'webview/importance/main.ts', convergence: 'webview/convergence/main.ts' },
    outdir: 'dist/webview',
    logLevel: 'warning',
  },
  // uPlot's own stylesheet, linked by the importance panel's page (the CSP allows no inline styles).
  { bundle: true, minify: true, entryPoints: { uplot: 'uplot/dist/uPlot.min.css' }, outdir: 'dist/webview', logLevel: 'warning' },
  // The extension-host test suite (test/extension), loaded by VS Code as extensionTestsPath. Mocha is bundled in.
  { ...node, external: ['vscode', 'onnxruntime-node'], entryPoints: { index: 'test/extension/index.ts' }, outdir: 'dist/test', logLevel: 'error' },
];

const selected = webviewOnly ? builds.filter((b) => b.outdir === 'dist/webview') : builds;

if (watch) {
  for (const b of selected) await (await esbuild.context(b)).watch();
  console.log('esbuild: watching');
} else {
  await Promise.all(selected.map((b) => esbuild.build(b)));
}
