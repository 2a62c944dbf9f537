// End-to-end: the convergence panel of the packaged .vsix in code-server, driven in Debian chromium.
// Needs `npm run package` (the e2e stage runs it), .ci/install-code-server.sh and chromium.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { runCli } from '../helpers/cli';
import { clearNotifications, contextMenuItem, explorerRow, setColorTheme, shot, webviewFrame, useWorkbench, type Workbench } from './workbench';

const CHILD_FOLDER = 'child-3x96';

/** Types into a toolkit text field (the input sits in its shadow root). */
async function fill(frame: FrameLocator, testId: string, value: string): Promise<void> {
  const input = frame.locator(`[data-testid="${testId}"] input`);
  await input.fill(value);
}

describe('the convergence panel in code-server (installed .vsix, chromium)', function () {
  let workbench: Workbench;
  let page: Page;
  let convergenceFile: string;

  const openedWorkbench = useWorkbench(async (dirs) => {
    // The child a user would have made with Subclone…: the example parent → 3 layers × 96, calibrated on kjv.txt.
    const parent = path.join(dirs.workspace, 'kjv-gpt2');
    const out = path.join(dirs.workspace, CHILD_FOLDER);
    const r = await runCli(['apply', path.join(parent, 'model.onnx'), '--layers', '3', '--dim', '96', '--heads', '3', '--ffn', '384', '--data', path.join(parent, 'kjv.txt'), '--out', out, '--provider', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    convergenceFile = path.join(out, 'convergence', 'convergence.json');
  });

  before(async function () {
    workbench = openedWorkbench();
    page = workbench.page;
  });

  it('opens from the child’s context menu; a 20-step run streams curves and ends in a verdict, shown in the dark and light themes', async () => {
    await explorerRow(page, 'kjv-gpt2').click(); // collapse the parent: one model.onnx in view
    await explorerRow(page, CHILD_FOLDER).click();
    await contextMenuItem(page, explorerRow(page, 'model.onnx'), 'Check Convergence…');
    const frame = webviewFrame(page);
    await frame.locator('[data-testid="setup-cell"]').waitFor({ timeout: 60_000 });
    assert.match(await frame.locator('[data-testid="setup-cell"]').innerText(), /6 layers × 192/, 'Setup names the parent shape the child came from');
    assert.equal((await frame.locator('[data-testid="setup-data"] input').inputValue()).endsWith('kjv.txt'), true, 'the data the child was calibrated on');
    await fill(frame, 'setup-steps', '20');
    await fill(frame, 'setup-batch', '8');
    await fill(frame, 'setup-seq', '64');
    await fill(frame, 'setup-eval-every', '5');
    await fill(frame, 'setup-lrs', '1.5e-3, 3e-3');
    await fill(frame, 'setup-random-lrs', '6e-3, 1.2e-2');
    await frame.locator('[data-testid="estimate-button"]').click();
    await frame.locator('[data-testid="estimate-output"]', { hasText: /\d+ s|min/ }).waitFor({ timeout: 120_000 });
    await shot(page, 'convergence-1-setup-estimate');

    await frame.locator('[data-testid="run-button"]').click();
    await frame.locator('[data-testid="runs-table"] tr[data-status="running"]').first().waitFor({ timeout: 120_000 });
    await shot(page, 'convergence-2-running');
    await frame.locator('[data-testid="verdict-headline"]', { hasText: /faster|not reached|no target|no finished/i }).waitFor({ timeout: 240_000 });
    const onDisk = JSON.parse(fs.readFileSync(convergenceFile, 'utf8')) as { status: string; runs: unknown[]; verdict: { sentence: string } };
    assert.equal(onDisk.status, 'finished');
    assert.ok(onDisk.runs.length >= 4, 'the 4 planned runs, and any the sweep added past an edge');
    assert.equal(await frame.locator('[data-testid="runs-table"] tr[data-status="finished"]').count(), onDisk.runs.length, 'every run in the table, added ones too');
    assert.equal((await frame.locator('[data-testid="verdict-sentence"]').innerText()).trim(), onDisk.verdict.sentence, 'the verdict is the engine’s, word for word');
    await clearNotifications(page); // the CPU notice would cover the charts
    await frame.locator('[data-testid="run-cell"]').scrollIntoViewIfNeeded();
    await shot(page, 'convergence-3-dark-curves');
    await frame.locator('[data-testid="verdict-cell"]').scrollIntoViewIfNeeded();
    await shot(page, 'convergence-4-dark-verdict');
    await setColorTheme(page, 'Default Light Modern');
    await frame.locator('[data-testid="run-cell"]').scrollIntoViewIfNeeded();
    await shot(page, 'convergence-5-light-curves');
    await frame.locator('[data-testid="verdict-cell"]').scrollIntoViewIfNeeded();
    await shot(page, 'convergence-6-light-verdict');
    await setColorTheme(page, 'Default Dark Modern');
  });

  it('Cancel stops the sweep and keeps the runs that finished, after asking to replace the saved results', async () => {
    const frame = webviewFrame(page);
    await fill(frame, 'setup-steps', '2000');
    await frame.locator('[data-testid="run-button"]').click();
    const replace = page.getByRole('button', { name: 'Replace' });
    await replace.waitFor({ timeout: 30_000 });
    await page.waitForTimeout(300);
    await replace.click();
    await frame.locator('[data-testid="runs-table"] tr[data-status="running"]').first().waitFor({ timeout: 120_000 });
    await page.waitForTimeout(3_000); // a few evaluations in
    await frame.locator('[data-testid="cancel-button"]').click();
    await frame.locator('[data-testid="runs-table"] tr[data-status="cancelled"]').first().waitFor({ timeout: 60_000 });
    await shot(page, 'convergence-7-cancelled');
    const onDisk = JSON.parse(fs.readFileSync(convergenceFile, 'utf8')) as { status: string; runs: { status: string }[] };
    assert.equal(onDisk.status, 'cancelled');
    assert.ok(onDisk.runs.every((r) => r.status !== 'running'), `statuses: ${onDisk.runs.map((r) => r.status).join(', ')}`);
  });

  it('comes back with the saved results after a window reload', async () => {
    await page.reload();
    const frame = webviewFrame(page);
    await frame.locator('[data-testid="runs-table"] tr[data-run]').first().waitFor({ timeout: 90_000 });
    const saved = JSON.parse(fs.readFileSync(convergenceFile, 'utf8')) as { runs: unknown[] };
    assert.equal(await frame.locator('[data-testid="runs-table"] tr[data-run]').count(), saved.runs.length);
    await shot(page, 'convergence-8-restored');
  });
});
