#!/usr/bin/env node
// Runs the whole test suite in stages and ends with one summary. Exit code 1 when any stage fails.
// Usage: node scripts/test.mjs [stage ...]   (stages: build typecheck unit vscode e2e; default: all)
import { spawn } from 'node:child_process';

const STAGES = {
  build: ['node', ['esbuild.config.mjs']],
  typecheck: ['npx', ['tsc', '--noEmit', '-p', '.']],
  unit: ['npx', ['mocha']],
  // The extension-host suite inside code-server (needs .ci/install-code-server.sh and chromium; builds first).
  vscode: ['bash', ['-c', 'node esbuild.config.mjs && node --import tsx test/extension/runInCodeServer.ts']],
  // The browser end-to-end test on the packaged .vsix installed in code-server.
  e2e: ['bash', ['-c', 'npm run -s package && npx mocha --config test/e2e/.mocharc.json']],
};

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(STAGES);
const results = [];

function run(name, [cmd, args]) {
  return new Promise((resolve) => {
    const started = Date.now();
    let text = '';
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    const tee = (stream, sink) => stream.on('data', (d) => { text += d; sink.write(d); });
    tee(child.stdout, process.stdout);
    tee(child.stderr, process.stderr);
    child.on('close', (code) => {
      const count = (word) => Number(new RegExp(`(\\d+) ${word}`).exec(text)?.[1] ?? 0);
      results.push({ name, code, seconds: (Date.now() - started) / 1000, passing: count('passing'), failing: count('failing'), pending: count('pending') });
      resolve();
    });
  });
}

for (const name of wanted) {
  if (!STAGES[name]) {
    console.error(`unknown stage ${name}; stages: ${Object.keys(STAGES).join(' ')}`);
    process.exit(64);
  }
  console.log(`\n=== ${name} ===`);
  await run(name, STAGES[name]);
}

console.log('\n=== summary ===');
for (const r of results) {
  const tests = r.passing + r.failing + r.pending ? `  ${r.passing} passing, ${r.failing} failing, ${r.pending} pending` : '';
  console.log(`${r.code === 0 ? 'ok  ' : 'FAIL'}  ${r.name.padEnd(10)} ${r.seconds.toFixed(1).padStart(6)} s${tests}`);
}
const failed = results.filter((r) => r.code !== 0);
const total = results.reduce((a, r) => ({ p: a.p + r.passing, f: a.f + r.failing, s: a.s + r.pending }), { p: 0, f: 0, s: 0 });
console.log(`${failed.length ? 'FAILED' : 'PASSED'}: ${total.p} passing, ${total.f} failing, ${total.s} pending` +
  (failed.length ? ` — failed stages: ${failed.map((r) => r.name).join(', ')}` : ''));
process.exit(failed.length ? 1 : 0);
