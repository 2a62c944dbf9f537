// Builds every bundle: the extension host, the CLI, the model worker, the webviews and the extension-host tests.
// Usage: node esbuild.config.mjs [--watch] [--production]
import * as esbuild from 'esbuild';
import { readFileSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
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
  {
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    sourcemap: !production,
    minify: production,
    entryPoints: { overview: 'webview/overview/main.ts' },
    outdir: 'dist/webview',
    logLevel: 'warning',
  },
  // The extension-host test suite (test/extension), loaded by VS Code as extensionTestsPath. Mocha is bundled in.
  { ...node, external: ['vscode', 'onnxruntime-node'], entryPoints: { index: 'test/extension/index.ts' }, outdir: 'dist/test', logLevel: 'error' },
];

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log('esbuild: watching');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
