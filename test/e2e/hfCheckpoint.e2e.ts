// End-to-end: a Hugging Face checkpoint folder (config.json + model.safetensors) in the explorer of the packaged
// .vsix in code-server, driven in Debian chromium: its context menu, its overview in both themes, Subclone… on it.
// Needs `npm run package` (the e2e stage runs it), .ci/install-code-server.sh and chromium.
// SUBCLONE_DOCS_IMAGES=1 also writes the overview screenshots to docs/images/ (overview-hf-dark.png, -light.png).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { RESULTS_DIR } from '../helpers/codeServer';
import { fixturesDir, repoRoot } from '../helpers/paths';
import { runModel, int64Tensor } from '../helpers/ort';
import { contextMenuItem, explorerRow, pick, quickInput, setColorTheme, shot, waitForQuickPickRow, webviewFrame, useWorkbench, type Workbench } from './workbench';

const MENU_ITEMS = ['Subclone…', 'Show Model Overview', 'Show Neuron Importance', 'Compute Neuron Importance', 'Check Convergence…'];

/** Copies test/fixtures/hf/<id>'s config.json and weights into the workspace (the fixtures stay untouched). */
function copyCheckpoint(id: string, workspace: string): string {
  const from = path.join(fixturesDir, 'hf', id);
  const to = path.join(workspace, id);
  fs.mkdirSync(to, { recursive: true });
  for (const f of fs.readdirSync(from)) if (f === 'config.json' || /\.safetensors(\.index\.json)?$/.test(f)) fs.copyFileSync(path.join(from, f), path.join(to, f));
  return to;
}

/** The labels of the context menu a right-click on `row` opens (retried until the extension's items are there, or `timeoutMs`). */
async function contextMenuLabels(page: Page, row: Locator, until: (labels: string[]) => boolean, timeoutMs = 60_000): Promise<string[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    await row.click({ button: 'right' });
    await page.getByRole('menuitem').first().waitFor({ state: 'visible', timeout: 5_000 });
    await page.waitForTimeout(300);
    const labels = (await page.getByRole('menuitem').allInnerTexts()).map((t) => t.split('\n')[0].trim());
    if (until(labels) || Date.now() > end) return labels;
    await page.keyboard.press('Escape');
    await page.waitForTimeout(1_000);
  }
}

/** A screenshot of the editor area (breadcrumbs and the overview), as the README shows it. */
async function editorShot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `e2e-${name}.png`);
  await page.locator('.part.editor').screenshot({ path: file });
  if (process.env.SUBCLONE_DOCS_IMAGES) fs.copyFileSync(file, path.join(repoRoot, 'docs', 'images', `${name}.png`));
}

describe('a Hugging Face checkpoint in code-server (installed .vsix, chromium)', function () {
  let workbench: Workbench;
  let page: Page;
  let llama: string;

  const openedWorkbench = useWorkbench((dirs) => {
    llama = copyCheckpoint('llama', dirs.workspace);
    copyCheckpoint('gpt2-hub', dirs.workspace);
  });

  before(async function () {
    workbench = openedWorkbench();
    page = workbench.page;
  });

  it('offers Subclone\'s items on an HF folder and its model.safetensors, and not on a folder that is no checkpoint', async () => {
    const labels = await contextMenuLabels(page, explorerRow(page, 'llama'), (l) => l.includes('Subclone…'));
    await shot(page, 'hf-1-folder-menu');
    await page.keyboard.press('Escape');
    for (const item of MENU_ITEMS) assert.ok(labels.includes(item), `the menu on the llama folder lacks "${item}": ${labels.join(' | ')}`);
    // kjv-gpt2 holds config.json and model.onnx, but no safetensors: a folder like any other.
    const plain = await contextMenuLabels(page, explorerRow(page, 'kjv-gpt2'), () => true);
    await page.keyboard.press('Escape');
    for (const item of MENU_ITEMS) assert.ok(!plain.includes(item), `the menu on a plain folder offers "${item}"`);
    await explorerRow(page, 'llama').click();
    const weights = explorerRow(page, 'model.safetensors');
    await weights.waitFor({ state: 'visible' });
    const fileLabels = await contextMenuLabels(page, weights, (l) => l.includes('Subclone…'));
    await page.keyboard.press('Escape');
    for (const item of MENU_ITEMS) assert.ok(fileLabels.includes(item), `the menu on model.safetensors lacks "${item}"`);
  });

  it('Show Model Overview on the folder says it is a Hugging Face checkpoint: class, config.json, weights and dtype; readable in the dark and light themes [waits on inspect]', async () => {
    await contextMenuItem(page, explorerRow(page, 'llama'), 'Show Model Overview');
    const frame = webviewFrame(page);
    await frame.locator('h1', { hasText: 'llama' }).waitFor({ timeout: 60_000 });
    await frame.locator('[data-testid="dims"]').waitFor({ timeout: 60_000 });
    const section = frame.locator('[data-testid="checkpoint"]');
    const text = await section.innerText();
    assert.match(text, /Hugging Face checkpoint/);
    assert.match(text, /LlamaForCausalLM/);
    assert.match(text, /model_type llama/);
    assert.match(text, /config\.json/);
    assert.match(text, /model\.safetensors/);
    assert.match(text, /float32/);
    // (textContent: the toolkit's tags show their text in capitals.)
    assert.equal((await frame.locator('[data-testid="format"]').textContent())?.trim(), 'Hugging Face checkpoint');
    assert.equal((await frame.locator('[data-testid="family"]').textContent())?.trim(), 'LLaMA');
    const header = await frame.locator('header').innerText();
    assert.doesNotMatch(header, /opset|IR \d/, 'ONNX producer and opset details do not apply to a checkpoint');
    assert.equal((await frame.locator('[data-dim="layers"] dd').innerText()).trim(), '2');
    await page.mouse.move(5, 890); // no hover highlight in the shots
    await editorShot(page, 'overview-hf-dark');
    await setColorTheme(page, 'Default Light Modern');
    await frame.locator('[data-testid="checkpoint"]').waitFor();
    await editorShot(page, 'overview-hf-light');
    await setColorTheme(page, 'Default Dark Modern');
  });

  it('Subclone… marks a preset the family\'s HF config cannot state as ONNX only, with the reason [waits on inspect, shapePresets, hfPlan]', async () => {
    await page.keyboard.press('Escape');
    await contextMenuItem(page, explorerRow(page, 'gpt2-hub'), 'Subclone…');
    await waitForQuickPickRow(page, /about a quarter/, 'Subclone…');
    const quarter = quickInput(page).locator('.monaco-list-row').filter({ hasText: /about a quarter/ });
    const text = await quarter.innerText();
    await shot(page, 'hf-2-onnx-only');
    await quarter.locator('.quick-input-list-label-meta, .monaco-icon-label').last().hover();
    await page.waitForTimeout(1_500);
    await shot(page, 'hf-2-onnx-only-hover');
    assert.match(text, /ONNX only/);
    assert.match(text, /a Hugging Face gpt2 config makes the head width/);
    const halfDepth = await quickInput(page).locator('.monaco-list-row').filter({ hasText: /^\s*half depth\b/ }).first().innerText();
    assert.doesNotMatch(halfDepth, /ONNX only/);
    await page.keyboard.press('Escape');
  });

  it('Subclone… on the HF folder → half depth → data-free writes llama/model-subclone-…/ with model.onnx and the HF checkpoint, and the new folder gets the menu too [waits on inspect, shapePresets, apply]', async () => {
    await page.keyboard.press('Escape');
    await contextMenuItem(page, explorerRow(page, 'llama'), 'Subclone…');
    await waitForQuickPickRow(page, /half depth/i, 'Subclone…');
    await shot(page, 'hf-3-shapes');
    await pick(page, 'half depth');
    await waitForQuickPickRow(page, /data-free/, 'Subclone…');
    await pick(page, 'data-free');

    const done = page.locator('.notifications-toasts .notification-toast').filter({ hasText: 'Subclone: wrote' });
    const failed = page.locator('.notifications-toasts .notification-toast').filter({ hasText: 'Subclone…:' });
    await Promise.race([done.waitFor({ timeout: 240_000 }), failed.waitFor({ timeout: 240_000 })]);
    await shot(page, 'hf-4-result');
    if (await failed.count()) assert.fail(`Subclone… reported: ${(await failed.innerText()).trim()}`);
    assert.match(await done.innerText(), /model\.onnx and a Hugging Face llama checkpoint \(model\.safetensors, config\.json\)/);

    const child = path.join(llama, 'model-subclone-1L-32d-4h-2kv-64f');
    for (const f of ['model.onnx', 'model.safetensors', 'config.json']) assert.ok(fs.existsSync(path.join(child, f)), `${f} is missing in ${child}`);
    await done.getByRole('button', { name: 'Reveal in Explorer' }).click();
    const row = explorerRow(page, path.basename(child));
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    // The child is an HF folder in its turn: the extension saw it appear and the explorer offers Subclone on it.
    const labels = await contextMenuLabels(page, row, (l) => l.includes('Subclone…'), 30_000);
    await shot(page, 'hf-5-child-menu');
    await page.keyboard.press('Escape');
    assert.ok(labels.includes('Subclone…'), `the new subclone folder has no Subclone… item: ${labels.join(' | ')}`);

    const outputs = await runModel(path.join(child, 'model.onnx'), { input_ids: int64Tensor([1, 2, 3, 4], [1, 4]), attention_mask: int64Tensor([1, 1, 1, 1], [1, 4]) });
    assert.deepEqual(outputs.logits.dims, [1, 4, 96]);
  });
});
