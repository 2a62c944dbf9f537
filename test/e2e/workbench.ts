/** Playwright steps on the VS Code workbench in code-server: explorer rows, context menus, quick inputs, toasts. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { RESULTS_DIR } from '../helpers/codeServer';

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

/** The model overview's content: webviews are two iframes deep. */
export function overviewFrame(page: Page): FrameLocator {
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
