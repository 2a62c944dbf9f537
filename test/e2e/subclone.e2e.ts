// End-to-end: the packaged .vsix installed in code-server, driven in Debian chromium like a person would.
// Needs `npm run package` (the e2e stage runs it), .ci/install-code-server.sh and chromium.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import type { CodeServerDirs } from '../helpers/codeServer';
import { int64Tensor, runModel } from '../helpers/ort';
import { contextMenuItem, explorerRow, pick, quickInput, shot, waitForQuickPickRow, webviewFrame, useWorkbench, type Workbench } from './workbench';

describe('Subclone in code-server (installed .vsix, chromium)', function () {
  let workbench: Workbench;
  let dirs: CodeServerDirs;
  let page: Page;

  const openedWorkbench = useWorkbench();

  before(async function () {
    workbench = openedWorkbench();
    ({ dirs, page } = workbench);
    await shot(page, '1-explorer');
  });

  it('opens model.onnx in the model overview and renders its inputs, outputs and parameters', async () => {
    await explorerRow(page, 'model.onnx').dblclick();
    const frame = webviewFrame(page);
    await frame.locator('h1', { hasText: 'model.onnx' }).waitFor({ timeout: 60_000 });
    await frame.locator('[data-testid="io"]').getByText('input_ids').first().waitFor();
    assert.match(await frame.locator('[data-testid="parameters-total"]').innerText(), /2\.(79|74) M parameters/); // all float initializers; unique (tied counted once) when recognised
    assert.equal(await frame.locator('vscode-button', { hasText: 'Subclone…' }).count(), 1);
    await shot(page, '2-overview');
  });

  it('renders the model\'s dimensions in the overview: 6 layers × 192 [waits on inspect]', async () => {
    const frame = webviewFrame(page);
    const recognition = frame.locator('[data-testid="recognition"]');
    if (await recognition.count()) assert.fail(`the overview shows no dimensions: ${(await recognition.innerText()).trim()}`);
    assert.equal((await frame.locator('[data-dim="layers"] dd').innerText()).trim(), '6');
    assert.equal((await frame.locator('[data-dim="dModel"] dd').innerText()).trim(), '192');
    assert.equal((await frame.locator('[data-testid="family"]').innerText()).trim(), 'GPT-2');
  });

  it('Subclone… → Custom… validates each number live with the engine\'s messages [waits on inspect, shapePresets, validateShape]', async () => {
    await page.keyboard.press('Escape');
    await contextMenuItem(page, explorerRow(page, 'model.onnx'), 'Subclone…');
    await waitForQuickPickRow(page, /Custom…/, 'Subclone…');
    await pick(page, 'Custom');
    const message = quickInput(page).locator('.quick-input-message');
    const input = quickInput(page).locator('input');
    await input.fill('4');
    await message.filter({ hasText: /parameters/ }).waitFor({ timeout: 30_000 });
    await shot(page, '7-custom-layers');
    assert.match(await message.innerText(), /4 layers × \d+ .* parameters/);
    await input.press('Enter'); // layers 4
    // Wait for each box before typing into it: the next one opens only after the engine checked the last value.
    await quickInput(page).filter({ hasText: /custom shape \(2\/5\)/ }).waitFor({ timeout: 30_000 });
    await input.press('Enter'); // d_model as offered (from the "half both" preset: 96, so 3 heads of 32)
    await quickInput(page).filter({ hasText: /custom shape \(3\/5\)/ }).waitFor({ timeout: 30_000 });
    await input.fill('2');
    // This parent computes the attention width from the residual width: 2 heads of 32 cannot fill 96.
    await message.filter({ hasText: /d_model must equal heads × head_dim \(32\)/ }).waitFor({ timeout: 30_000 });
    await input.fill('3');
    await message.filter({ hasText: /3 heads.* parameters/ }).waitFor({ timeout: 30_000 });
    await input.press('Enter'); // heads 3; the key/value heads follow (3)
    await quickInput(page).filter({ hasText: /custom shape \(4\/5\)/ }).waitFor({ timeout: 30_000 });
    assert.equal(await input.inputValue(), '3');
    await input.fill('6'); // more key/value heads than query heads: no engine accepts that
    // The engine's verdict replaces the prompt ("… the parent has 6"); a valid shape would show its parameters.
    await message.filter({ hasNotText: /parameters|the parent has/ }).filter({ hasText: /\S/ }).waitFor({ timeout: 30_000 });
    await shot(page, '7-custom-invalid');
    await input.fill('7x');
    await message.filter({ hasText: 'a whole number of at least 1' }).waitFor();
    await page.keyboard.press('Escape');
  });

  it('Subclone… from the explorer → half depth → data-free writes a child folder whose model.onnx onnxruntime loads [waits on inspect, shapePresets, apply]', async () => {
    const before = new Set(listDirs(dirs.workspace));
    await page.keyboard.press('Escape');
    await contextMenuItem(page, explorerRow(page, 'model.onnx'), 'Subclone…');
    await waitForQuickPickRow(page, /half depth/i, 'Subclone…');
    await shot(page, '3-shapes');
    await pick(page, 'half depth');
    await waitForQuickPickRow(page, /data-free/, 'Subclone…');
    assert.match(await quickInput(page).innerText(), /calibration data/);
    await shot(page, '4-data');
    await pick(page, 'data-free');

    const done = page.locator('.notifications-toasts .notification-toast').filter({ hasText: 'Subclone: wrote' });
    const failed = page.locator('.notifications-toasts .notification-toast').filter({ hasText: 'Subclone…:' });
    await Promise.race([done.waitFor({ timeout: 240_000 }), failed.waitFor({ timeout: 240_000 })]);
    await shot(page, '5-result');
    if (await failed.count()) assert.fail(`Subclone… reported: ${(await failed.innerText()).trim()}`);

    const created = listDirs(dirs.workspace).filter((d) => !before.has(d) && fs.existsSync(path.join(d, 'model.onnx')));
    assert.equal(created.length, 1, `expected one new folder with a model.onnx, found: ${created.join(', ') || 'none'}`);
    await done.getByRole('button', { name: 'Reveal in Explorer' }).click();
    await explorerRow(page, path.basename(created[0])).waitFor({ state: 'visible', timeout: 30_000 });
    await shot(page, '6-revealed');

    const outputs = await runModel(path.join(created[0], 'model.onnx'), { input_ids: int64Tensor([1, 2, 3, 4, 5, 6, 7, 8], [1, 8]) });
    assert.deepEqual(outputs.logits.dims, [1, 8, 256]);
  });
});

/** Every folder under `dir`, two levels deep (the child lands beside the parent model's folder or inside it). */
function listDirs(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const sub = path.join(dir, e.name);
    out.push(sub);
    for (const f of fs.readdirSync(sub, { withFileTypes: true })) if (f.isDirectory()) out.push(path.join(sub, f.name));
  }
  return out;
}
