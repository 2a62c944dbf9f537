import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import type { BenchRow } from './harness';
import type { PanelTimings } from './importancePanel/measure';
import { CHROMIUM_ARGS, buildAssets, writePage } from './importancePanel/page';
import { syntheticView } from './importancePanel/syntheticView';
import type { BenchContext } from './run';

const REPS = 5;
const HOVERED = ['embedding-heatmap', 'ffn-heatmap'];
const EXAMPLE_VIEW = ['/tmp/subclone-dev/kjv-view.json'];

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
  const example = exampleView();
  if (example) out.push(...(await measure(dir, 'kjv-gpt2 example (6×192)', 'bench-kjv', example)));
  else out.push({ group: 'importancePanel', what: 'kjv-gpt2 example: no view data', seconds: null, peakRssMiB: null, note: `needs ${EXAMPLE_VIEW[0]}` });
  return out;
}

function exampleView(): unknown | null {
  const file = EXAMPLE_VIEW.find((f) => fs.existsSync(f));
  return file ? JSON.parse(fs.readFileSync(file, 'utf8')) : null;
}

async function measure(dir: string, label: string, name: string, view: unknown): Promise<BenchRow[]> {
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
