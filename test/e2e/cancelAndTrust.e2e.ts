// End-to-end: Cancel in a progress notification, and an untrusted workspace, in code-server with the packaged .vsix.
// Needs `npm run package` (the e2e stage runs it), .ci/install-code-server.sh and chromium.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { contextMenuItem, explorerRow, pick, quickInput, shot, waitForQuickPickRow, webviewFrame, useWorkbench, type Workbench } from './workbench';

/** Every entry of the workspace's example folder and the workspace itself (subclone folders and temporaries included). */
function entries(ws: string): string[] {
  return [...fs.readdirSync(ws), ...fs.readdirSync(path.join(ws, 'kjv-gpt2')).map((f) => `kjv-gpt2/${f}`)].sort();
}

const toast = (page: Page, text: string | RegExp) => page.locator('.notifications-toasts .notification-toast').filter({ hasText: text });

describe('Cancel in the progress notification (code-server, installed .vsix)', function () {
  let workbench: Workbench;
  let page: Page;

  const openedWorkbench = useWorkbench();

  before(async function () {
    workbench = openedWorkbench();
    page = workbench.page;
  });

  it('leaves nothing behind, and the worker runs the next command [waits on apply]', async () => {
    const ws = workbench.dirs.workspace;
    const before = entries(ws);
    await contextMenuItem(page, explorerRow(page, 'model.onnx'), 'Subclone…');
    await waitForQuickPickRow(page, /half depth/i, 'Subclone…');
    await pick(page, 'half depth');
    await waitForQuickPickRow(page, /kjv\.txt/, 'Subclone…');
    await pick(page, 'kjv.txt'); // calibration on the text: long enough to cancel
    const progress = toast(page, /Subclone model\.onnx/);
    await progress.waitFor({ timeout: 60_000 });
    await page.waitForTimeout(1_500); // under way: the worker is reading the data or scoring
    await shot(page, 'cancel-1-progress');
    await progress.getByRole('button', { name: 'Cancel' }).click();
    await progress.waitFor({ state: 'detached', timeout: 60_000 });
    await page.waitForTimeout(1_000);
    await shot(page, 'cancel-2-cancelled');
    assert.equal(await toast(page, 'Subclone: wrote').count(), 0, 'the cancelled run wrote nothing');
    assert.deepEqual(entries(ws), before, 'no subclone folder, no temporary folder');

    // The same worker takes the next command.
    await contextMenuItem(page, explorerRow(page, 'model.onnx'), 'Subclone…');
    await waitForQuickPickRow(page, /half depth/i, 'Subclone…');
    await pick(page, 'half depth');
    await waitForQuickPickRow(page, /data-free/, 'Subclone…');
    await pick(page, 'data-free');
    const done = toast(page, 'Subclone: wrote');
    const failed = toast(page, 'Subclone…:');
    await Promise.race([done.waitFor({ timeout: 240_000 }), failed.waitFor({ timeout: 240_000 })]);
    if (await failed.count()) assert.fail(`Subclone… after a cancel reported: ${(await failed.innerText()).trim()}`);
    assert.equal(entries(ws).length, before.length + 1, 'one new subclone folder');
  });
});

describe('an untrusted workspace (code-server, installed .vsix)', function () {
  let workbench: Workbench;
  let page: Page;

  // Workspace trust on: answer the startup dialog as a careful user would, so the folder opens in Restricted Mode.
  const openedWorkbench = useWorkbench(() => undefined, {
    workspaceTrust: true,
    settings: { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'always' },
    onLoad: async (p) => {
      const no = p.getByRole('button', { name: /No, I don.t trust the authors/ });
      await no.waitFor({ timeout: 60_000 });
      await p.waitForTimeout(300);
      await no.click();
      await p.locator('.monaco-dialog-box').waitFor({ state: 'detached' });
    },
  });

  before(async function () {
    workbench = openedWorkbench();
    page = workbench.page;
  });

  it('the overview renders from Subclone’s own parser; the actions ask for trust and nothing runs', async () => {
    const ws = workbench.dirs.workspace;
    const before = entries(ws);
    await explorerRow(page, 'model.onnx').dblclick();
    const frame = webviewFrame(page);
    await frame.locator('h1', { hasText: 'model.onnx' }).waitFor({ timeout: 60_000 });
    await frame.locator('[data-testid="io"]').getByText('input_ids').first().waitFor();
    assert.match(await frame.locator('[data-testid="actions-disabled"]').innerText(), /trust this workspace/);
    assert.match(await frame.locator('[data-testid="recognition"]').innerText(), /not trusted/);
    await shot(page, 'untrusted-1-overview');

    await contextMenuItem(page, explorerRow(page, 'model.onnx'), 'Subclone…');
    const ask = toast(page, /needs a trusted workspace/);
    await ask.waitFor({ timeout: 30_000 });
    assert.equal(await quickInput(page).locator('.monaco-list-row', { hasText: /half depth/i }).count(), 0, 'no shapes offered: the model was not recognised');
    await shot(page, 'untrusted-2-asks');
    assert.deepEqual(entries(ws), before, 'nothing was written');
  });

  it('after trust is granted the overview recognises the model', async () => {
    await page.keyboard.press('F1');
    const input = quickInput(page).locator('input');
    await input.fill('>Workspaces: Manage Workspace Trust');
    await quickInput(page).locator('.monaco-list-row', { hasText: /^\s*Workspaces: Manage Workspace Trust/ }).first().click();
    const trust = page.getByRole('button', { name: /^Trust$/ });
    await trust.first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(300);
    await trust.first().click();
    await page.locator('.tabs-container .tab', { hasText: 'model.onnx' }).click();
    const frame = webviewFrame(page);
    await frame.locator('[data-dim="layers"] dd').waitFor({ timeout: 90_000 });
    assert.equal((await frame.locator('[data-dim="layers"] dd').innerText()).trim(), '6');
    assert.equal(await frame.locator('[data-testid="actions-disabled"]').count(), 0);
    await shot(page, 'untrusted-3-trusted');
  });
});
