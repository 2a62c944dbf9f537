// End-to-end: the neuron-importance panel of the packaged .vsix in code-server, driven in Debian chromium.
// Needs `npm run package` (the e2e stage runs it), .ci/install-code-server.sh and chromium.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { runCli } from '../helpers/cli';
import { explorerRow, setColorTheme, shot, webviewFrame, useWorkbench, type Workbench } from './workbench';

describe('the neuron-importance panel in code-server (installed .vsix, chromium)', function () {
  let workbench: Workbench;
  let page: Page;
  let modelDir: string;
  let reportFile: string;

  const openedWorkbench = useWorkbench(async (dirs) => {
    // The report a user would have computed: 16 KJV sequences through the example parent.
    modelDir = path.join(dirs.workspace, 'kjv-gpt2');
    const r = await runCli(['importance', path.join(modelDir, 'model.onnx'), '--data', path.join(modelDir, 'kjv.txt'), '--samples', '16', '--provider', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    reportFile = path.join(modelDir, 'model.importance.json');
    assert.ok(fs.existsSync(reportFile), r.stdout);
  });

  before(async function () {
    workbench = openedWorkbench();
    page = workbench.page;
  });

  it('opens a report clicked in the explorer in the panel, readable in the dark and light themes', async () => {
    await explorerRow(page, 'model.importance.json').dblclick();
    const frame = webviewFrame(page);
    await frame.locator('[data-testid="importance-header"]').waitFor({ timeout: 60_000 });
    await frame.locator('[data-testid="embedding-heatmap"]').waitFor();
    assert.match(await frame.locator('[data-testid="importance-header"]').innerText(), /model\.onnx/);
    assert.match(await frame.locator('[data-testid="consistency-sentence"]').innerText(), /neighbouring blocks 0–\d/);
    assert.equal(await frame.locator('[data-testid="fallback-banner"]').count(), 0, 'a report on real data has no fallback banner');
    await shot(page, 'importance-1-dark');
    await frame.locator('[data-testid="consistency-sentence"]').scrollIntoViewIfNeeded();
    await shot(page, 'importance-2-dark-consistency');
    await setColorTheme(page, 'Default Light Modern');
    await frame.locator('[data-testid="importance-header"]').scrollIntoViewIfNeeded();
    await shot(page, 'importance-3-light');
    await frame.locator('[data-testid="consistency-sentence"]').scrollIntoViewIfNeeded();
    await shot(page, 'importance-4-light-consistency');
  });

  it('a new width in the picker highlights exactly that many neurons', async () => {
    const frame = webviewFrame(page);
    const width = frame.locator('[data-testid="picker-dModel"] input');
    await width.scrollIntoViewIfNeeded();
    await width.fill('64');
    await frame.locator('[data-testid="kept-neuron-count"]', { hasText: /^64$/ }).waitFor({ timeout: 30_000 });
    assert.equal((await frame.locator('[data-testid="picker-heads"] input').inputValue()).trim(), '2', 'the heads follow the width at head_dim 32');
    await frame.locator('[data-testid="picker-message"]', { hasText: /parameters/ }).waitFor({ timeout: 30_000 });
    await shot(page, 'importance-5-picker-64');
    await width.fill('100'); // not heads × 32: the engine says so
    await frame.locator('[data-testid="picker-message"]', { hasText: /head_dim \(32\)/ }).waitFor({ timeout: 30_000 });
    await width.fill('96');
    await frame.locator('[data-testid="kept-neuron-count"]', { hasText: /^96$/ }).waitFor({ timeout: 30_000 });
  });

  it('Subclone with this shape writes the child, whose subclone.json names this report', async () => {
    const frame = webviewFrame(page);
    const layers = frame.locator('[data-testid="picker-layers"] input');
    await layers.fill('3');
    // Enabled only once the engine has checked the shape (the check starts after a short pause); a click before that is ignored.
    await page.waitForTimeout(400);
    await frame.locator('[data-testid="picker-message"]:not(.pending)').waitFor({ timeout: 30_000 });
    await frame.locator('[data-testid="subclone-button"]:not([disabled])').waitFor({ timeout: 30_000 });
    const before = new Set(fs.readdirSync(modelDir));
    await frame.locator('[data-testid="subclone-button"]').click();
    const done = page.locator('.notifications-toasts .notification-toast').filter({ hasText: 'Subclone: wrote' });
    const failed = page.locator('.notifications-toasts .notification-toast').filter({ hasText: 'Subclone with this shape:' });
    await Promise.race([done.waitFor({ timeout: 240_000 }), failed.waitFor({ timeout: 240_000 })]);
    await shot(page, 'importance-6-subcloned');
    if (await failed.count()) assert.fail(`Subclone with this shape reported: ${(await failed.innerText()).trim()}`);
    const created = fs.readdirSync(modelDir).filter((f) => !before.has(f) && fs.existsSync(path.join(modelDir, f, 'subclone.json')));
    assert.equal(created.length, 1, `expected one new subclone folder, found: ${created.join(', ') || 'none'}`);
    const p = JSON.parse(fs.readFileSync(path.join(modelDir, created[0], 'subclone.json'), 'utf8'));
    assert.equal(p.importance.report, reportFile);
    assert.equal(p.kept.embedding.length, 96);
    assert.equal(p.kept.blocks.length, 3);
  });

  it('comes back after a window reload', async () => {
    await page.reload();
    const frame = webviewFrame(page);
    await frame.locator('[data-testid="importance-header"]').waitFor({ timeout: 90_000 });
    await frame.locator('[data-testid="embedding-heatmap"]').waitFor();
    await shot(page, 'importance-7-restored');
  });
});
