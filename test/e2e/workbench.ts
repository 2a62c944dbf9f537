/** Playwright steps on the VS Code workbench in code-server: explorer rows, context menus, quick inputs, toasts. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BrowserContext, FrameLocator, Locator, Page } from 'playwright-core';
import { RESULTS_DIR, installVsix, launchBrowser, prepareDirs, requireTools, startCodeServer, type CodeServerDirs, type RunningCodeServer } from '../helpers/codeServer';
import { repoRoot } from '../helpers/paths';

const VSIX = path.join(repoRoot, 'subclone-linux-x64.vsix');

/** The packaged extension installed in a fresh code-server, a workspace with the example, and a browser page on it. */
export interface Workbench {
  dirs: CodeServerDirs;
  server: RunningCodeServer;
  browser: BrowserContext;
  page: Page;
  /** Closes the browser, stops code-server and removes the folders (kept with SUBCLONE_KEEP_TEST_DIRS=1). */
  close(): Promise<void>;
}

/**
 * Installs subclone-linux-x64.vsix into a fresh code-server, opens the workspace (a copy of examples/kjv-gpt2 in
 * kjv-gpt2/) in chromium, and waits until the extension's explorer contributions are there. `prepare` runs on the
 * workspace before the workbench opens.
 */
export interface WorkbenchOptions {
  /** User settings over the quiet defaults of prepareDirs. */
  settings?: Record<string, unknown>;
  /** Workspace trust on (code-server runs without --disable-workspace-trust). */
  workspaceTrust?: boolean;
  /** Runs once the page has loaded, before the explorer is used (e.g. to answer the workspace-trust dialog). */
  onLoad?: (page: Page) => Promise<void>;
}

export async function openWorkbench(prepare: (dirs: CodeServerDirs) => Promise<void> | void = () => undefined, options: WorkbenchOptions = {}): Promise<Workbench> {
  requireTools();
  assert.ok(fs.existsSync(VSIX), `${VSIX} is missing: run \`npm run package\``);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'subclone-e2e-'));
  const dirs = prepareDirs(root, options.settings);
  await prepare(dirs);
  const installed = await installVsix(dirs, VSIX);
  assert.match(installed, /was successfully installed/, installed);
  const server = await startCodeServer(dirs, {}, options.workspaceTrust ?? false);
  const browser = await launchBrowser(path.join(root, 'chromium'));
  const page = await browser.newPage();
  await page.goto(`${server.url}/?folder=${encodeURIComponent(dirs.workspace)}`);
  await options.onLoad?.(page);
  await explorerRow(page, 'kjv-gpt2').click({ timeout: 60_000 });
  await explorerRow(page, 'model.onnx').waitFor({ state: 'visible' });
  await waitForContributions(page, explorerRow(page, 'model.onnx'), 'Show Model Overview');
  const close = async () => {
    await browser.close().catch(() => undefined);
    await server.stop();
    if (!process.env.SUBCLONE_KEEP_TEST_DIRS) fs.rmSync(root, { recursive: true, force: true });
  };
  return { dirs, server, browser, page, close };
}

/** Switches the colour theme the way a person does: F1 → Preferences: Color Theme → the theme's name. */
export async function setColorTheme(page: Page, theme: 'Default Light Modern' | 'Default Dark Modern'): Promise<void> {
  await page.keyboard.press('F1');
  const input = quickInput(page).locator('input');
  await input.waitFor({ state: 'visible' });
  await input.fill('>Preferences: Color Theme');
  // Click the command itself: Enter would take the first row, "Browse Color Themes in Marketplace".
  await quickInput(page).locator('.monaco-list-row', { hasText: /^\s*Preferences: Color Theme/ }).first().click();
  // Click the theme's row too: typing its name and pressing Enter can land on "Browse Additional Color Themes…".
  const row = quickInput(page).locator('.monaco-list-row', { hasText: theme }).first();
  await row.waitFor();
  await page.waitForTimeout(300);
  await row.click();
  const light = theme.includes('Light');
  await page.waitForFunction((wantLight) => document.querySelector('.monaco-workbench')?.classList.contains(wantLight ? 'vs' : 'vs-dark'), light, { timeout: 30_000 });
  await page.waitForTimeout(800); // webviews get the new theme's variables a moment later
}

/**
 * Mocha hooks for a suite on one workbench: opens it before the suite (`prepare` and `options` as openWorkbench
 * takes them), screenshots a failed test as test-results/e2e-failed-<title>.png, closes it after the suite.
 * Returns the open workbench's getter.
 */
export function useWorkbench(prepare?: (dirs: CodeServerDirs) => Promise<void> | void, options: WorkbenchOptions = {}): () => Workbench {
  let workbench: Workbench | undefined;
  before(async function () {
    workbench = await openWorkbench(prepare, options);
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && workbench) await shot(workbench.page, `failed-${slug(this.currentTest.title)}`).catch(() => undefined);
  });
  after(async () => {
    await workbench?.close();
  });
  return () => {
    if (!workbench) throw new Error('the workbench is not open (its before hook failed)');
    return workbench;
  };
}

/** Clears every notification (F1 → Notifications: Clear All Notifications), e.g. before a screenshot. */
export async function clearNotifications(page: Page): Promise<void> {
  await page.keyboard.press('F1');
  const input = quickInput(page).locator('input');
  await input.waitFor({ state: 'visible' });
  await input.fill('>Notifications: Clear All Notifications');
  await quickInput(page).locator('.monaco-list-row', { hasText: /^\s*Notifications: Clear All Notifications/ }).first().click();
  await page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'detached', timeout: 5_000 }).catch(() => undefined);
}

export function explorerRow(page: Page, name: string): Locator {
  return page.locator(`.explorer-folders-view .monaco-list-row[aria-label="${name}"]`);
}

/**
 * Right-clicks an explorer row and clicks a context-menu item. The menu can open before the remote extension
 * host has registered the extension's items (7–9 s after the explorer appears), so it retries until it shows.
 */
export async function contextMenuItem(page: Page, row: Locator, item: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  const menuItem = page.getByRole('menuitem', { name: item, exact: true });
  for (;;) {
    await row.click({ button: 'right' });
    try {
      await menuItem.waitFor({ state: 'visible', timeout: 2_000 });
      await shot(page, `context-menu-${slug(item)}`);
      await page.waitForTimeout(400); // VS Code ignores a click that lands right after the menu opens
      await menuItem.click();
      return;
    } catch {
      await page.keyboard.press('Escape');
      if (Date.now() > end) throw new Error(`the context menu never offered "${item}" within ${timeoutMs / 1000} s`);
      await page.waitForTimeout(1_000);
    }
  }
}

/**
 * Waits until the workbench knows the extension's contributions (its explorer context-menu items, and with them
 * the .onnx custom editor): opening a model earlier shows VS Code's binary-file placeholder instead.
 */
export async function waitForContributions(page: Page, row: Locator, item: string, timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  const menuItem = page.getByRole('menuitem', { name: item, exact: true });
  for (;;) {
    await row.click({ button: 'right' });
    const shown = await menuItem.waitFor({ state: 'visible', timeout: 2_000 }).then(() => true, () => false);
    await page.keyboard.press('Escape');
    if (shown) return;
    if (Date.now() > end) throw new Error(`the extension's contributions did not appear within ${timeoutMs / 1000} s`);
    await page.waitForTimeout(1_000);
  }
}

/** The visible quick input (QuickPick or InputBox). */
export function quickInput(page: Page): Locator {
  return page.locator('.quick-input-widget');
}

/** Error notifications whose text starts with `prefix`. */
export function errorToast(page: Page, prefix: string): Locator {
  return page.locator('.notifications-toasts .notification-toast').filter({ hasText: prefix }).filter({ has: page.locator('.codicon-error') });
}

/**
 * Waits until the quick input shows a row matching `row`; fails at once with the notification's text when the
 * extension reports an error for `action` instead.
 */
export async function waitForQuickPickRow(page: Page, row: RegExp | string, action: string, timeoutMs = 120_000): Promise<void> {
  const wanted = quickInput(page).locator('.monaco-list-row').filter({ hasText: row });
  const failed = errorToast(page, `${action}:`);
  await Promise.race([wanted.first().waitFor({ state: 'visible', timeout: timeoutMs }), failed.first().waitFor({ state: 'visible', timeout: timeoutMs })]);
  if (await failed.count()) {
    await shot(page, `error-${slug(action)}`);
    throw new Error(`${action} reported: ${(await failed.first().locator('.notification-list-item-message').innerText()).trim()}`);
  }
}

/** Types into the quick input and accepts the first match. */
export async function pick(page: Page, text: string): Promise<void> {
  const input = quickInput(page).locator('input');
  await input.fill(text);
  await page.waitForTimeout(300); // let the list filter
  await input.press('Enter');
}

/** The active webview editor's content (the model overview, the importance panel): two iframes deep. */
export function webviewFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

/** A screenshot in test-results/e2e-<name>.png. */
export async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(RESULTS_DIR, `e2e-${name}.png`) });
}

export function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}
