import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import type { ImportanceViewData } from '../src/protocol/importanceProtocol';
import type { CallContext } from '../src/worker/handlers';
import { importanceHandlers } from '../src/worker/importanceHandlers';
import type { BenchRow } from './harness';
import type { PanelTimings } from './importancePanel/measure';
import { CHROMIUM_ARGS, buildAssets, writePage } from './importancePanel/page';
import { syntheticView } from './importancePanel/syntheticView';
import type { BenchContext } from './run';

const REPS = 5;
const HOVERED = ['embedding-heatmap', 'ffn-heatmap'];
const root = path.join(__dirname, '..');
const example = path.join(root, 'examples', 'kjv-gpt2');

/**
 * The neuron-importance panel in headless Debian chromium (playwright-core) on a harness page with a fake host:
 * time from posting the report to the first full render, to the render with the engine's selection, and of a
 * hover update on the big heatmaps, for a 7B-class report (32 × 4096 neurons, 32 × 14336 FFN units, 32 × 32
 * heads in 8 KV groups) and the example. Medians of REPS fresh page loads. Targets: first render < 200 ms, hover
 * < 16 ms.
 */
export async function rows(ctx: BenchContext): Promise<BenchRow[]> {
  const dir = path.join(ctx.dataDir, 'importance-panel');
  await buildAssets(dir);
  const out: BenchRow[] = [];
  out.push(...(await measure(dir, 'LLaMA-7B-class (32×4096, FFN 14336, 32 heads / 8 KV)', 'bench-7b', syntheticView())));
  out.push(...(await measure(dir, 'kjv-gpt2 example (6×192)', 'bench-kjv', await exampleView(dir))));
  return out;
}

/**
 * The example's view data as the extension posts it: a report on 16 KJV sequences (computed once into the bench
 * data folder) analysed by the worker's own importanceView handler.
 */
async function exampleView(dir: string): Promise<ImportanceViewData> {
  const reportFile = path.join(dir, 'kjv-gpt2.importance.json');
  if (!fs.existsSync(reportFile)) {
    execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'cli', 'index.ts'), 'importance', path.join(example, 'model.onnx'), '--data', path.join(example, 'kjv.txt'), '--samples', '16', '--provider', 'cpu', '--out', reportFile], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const context: CallContext = { signal: new AbortController().signal, provider: 'cpu', progress: () => undefined, notice: () => undefined };
  const { modelProblem, ...analysis } = await importanceHandlers.importanceView({ reportFile, recognize: true }, context);
  return { fileName: path.basename(reportFile), path: path.relative(root, reportFile), ...analysis, actionsEnabled: modelProblem === null, actionsDisabledReason: modelProblem };
}

async function measure(dir: string, label: string, name: string, view: ImportanceViewData): Promise<BenchRow[]> {
  const url = writePage(dir, name, view, 'dark', false);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  const runs: PanelTimings[] = [];
  try {
    for (let r = 0; r < REPS; r++) {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(url);
      await page.waitForFunction(() => (window as unknown as { __host?: { posted: { type: string }[] } }).__host?.posted.some((m) => m.type === 'ready'));
      // A string, not the function: tsx's helpers would not exist in the page.
      runs.push((await page.evaluate(`window.__measurePanel(${JSON.stringify(HOVERED)})`)) as PanelTimings);
      await page.close();
      if (errors.length) throw new Error(errors.join('; '));
    }
  } finally {
    await browser.close();
  }
  const first = median(runs.map((r) => r.firstRenderMs));
  const parts = Object.keys(runs[0].breakdown).map((k) => `${k} ${median(runs.map((r) => r.breakdown[k] ?? 0)).toFixed(0)}`).join(', ');
  process.stderr.write(`importancePanel ${label}: first render parts (ms, medians): ${parts}\n`);
  const withSel = median(runs.map((r) => r.selectionRenderMs));
  const rowsOut: BenchRow[] = [
    { group: 'importancePanel', what: `${label}: first render (report → painted)`, seconds: first / 1000, peakRssMiB: null, target: '< 200 ms', note: `${first.toFixed(1)} ms median of ${REPS} (${runs.map((r) => r.firstRenderMs.toFixed(0)).join(', ')})` },
    { group: 'importancePanel', what: `${label}: selection highlighted (answer arrives → painted)`, seconds: withSel / 1000, peakRssMiB: null, note: `${withSel.toFixed(1)} ms median (the repaint waits for the next animation frame)` },
  ];
  for (const id of HOVERED) {
    const samples = runs.flatMap((r) => r.hover[id]);
    const update = median(samples.map((s) => s.handlerMs + s.frameMs));
    const handler = median(samples.map((s) => s.handlerMs));
    rowsOut.push({ group: 'importancePanel', what: `${label}: hover update on ${id}`, seconds: update / 1000, peakRssMiB: null, target: '< 16 ms', note: `${update.toFixed(2)} ms median of ${samples.length} (handler ${handler.toFixed(2)} ms + next frame); max ${Math.max(...samples.map((s) => s.handlerMs + s.frameMs)).toFixed(2)} ms` });
  }
  return rowsOut;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
