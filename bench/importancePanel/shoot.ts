/**
 * Screenshots of the importance panel on the harness page: the example report (light, dark, high contrast), the
 * 7B-class synthetic report and a data-free one. Usage: node --import tsx bench/importancePanel/shoot.ts
 * Writes test-results/importance-*.png.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, buildAssets, repoRoot, writePage, type ThemeName } from './page';
import { syntheticView } from './syntheticView';

const out = path.join(repoRoot, 'test-results');
const dir = path.join(repoRoot, 'bench', '.data', 'importance-panel');

function exampleView(): unknown {
  const dev = '/tmp/subclone-dev/kjv-view.json';
  return JSON.parse(fs.readFileSync(dev, 'utf8'));
}

function dataFree(view: any): unknown {
  const v = structuredClone(view);
  v.report.calibration = { ...v.report.calibration, source: 'weights', path: null, samples: 0, tokens: 0, sequenceLength: null, fallback: true, tokenizer: null };
  v.report.blocks = { relativeMagnitude: [], oneMinusCos: [] };
  v.lossScoring = { available: false, reason: 'a data-free report has no calibration data to score candidates on' };
  return v;
}

async function ready(page: Page): Promise<void> {
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=kept-neuron-count]')?.textContent ?? 0) > 0, null, { timeout: 15000 });
  await page.waitForTimeout(300);
}

async function shoot(name: string, view: unknown, theme: ThemeName, extra?: (page: Page) => Promise<void>): Promise<void> {
  const url = writePage(dir, name, view, theme, true);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(url);
  await ready(page);
  if (extra) await extra(page);
  await page.screenshot({ path: path.join(out, `importance-${name}.png`) });
  await page.screenshot({ path: path.join(out, `importance-${name}-full.png`), fullPage: true });
  await browser.close();
  if (errors.length) console.error(`${name}: ${errors.join('\n')}`);
  console.log(`test-results/importance-${name}.png (+ -full)`);
}

/** Types a width (the heads follow), scores the blocks, fits a budget and takes its best candidate. */
async function flow(page: Page): Promise<void> {
  await page.locator('[data-testid=picker-dModel] input').fill('128');
  await page.waitForFunction(() => /4 heads/.test(document.querySelector('[data-testid=picker-message]')?.textContent ?? ''));
  const heads = await page.locator('[data-testid=picker-heads] input').inputValue();
  console.log(`flow: width 128 → heads ${heads}; message: ${await page.locator('[data-testid=picker-message]').textContent()}`);
  await page.locator('[data-testid=score-blocks-button]').click();
  await page.waitForSelector('[data-testid=block-candidates]');
  await page.locator('[data-testid=budget-input] input').fill('25%');
  await page.locator('[data-testid=budget-button]').click();
  await page.waitForSelector('[data-testid=budget-candidate]');
  await page.locator('[data-testid=budget-candidate]').first().click();
  await page.waitForTimeout(300);
  console.log(`flow: after the budget pick: ${await page.locator('[data-testid=picker-message]').textContent()}`);
  await page.locator('[data-testid=subclone-button]').click();
  await page.waitForSelector('[data-testid=subclone-result]');
}

async function main(): Promise<void> {
  fs.mkdirSync(out, { recursive: true });
  await buildAssets(dir);
  const kjv = exampleView();
  const only = process.argv.slice(2);
  const want = (n: string) => !only.length || only.includes(n);
  if (want('light')) await shoot('light', kjv, 'light');
  if (want('dark')) await shoot('dark', kjv, 'dark');
  if (want('hc')) await shoot('hc', kjv, 'high-contrast');
  if (want('hover')) await shoot('hover', kjv, 'dark', async (page) => {
    const box = (await page.locator('[data-testid=embedding-heatmap] canvas').boundingBox())!;
    await page.mouse.move(box.x + 78 + 300, box.y + 30);
    await page.waitForTimeout(100);
  });
  if (want('7b')) await shoot('7b', syntheticView(), 'dark');
  if (want('flow')) await shoot('flow', kjv, 'light', flow);
  if (want('datafree')) await shoot('datafree', dataFree(kjv), 'light');
}

void main();
