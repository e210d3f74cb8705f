import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metaCsp, RENDERER_CSP } from '../../src-main/renderer-policy.js';
import { luksNeededStatus } from '../../web-harness/test-support/fake-agent.js';
import { launchChromium, newPage, type Rig, startRig, waitForTray } from './test-support/browser.js';

/**
 * The renderer policy (src-main/renderer-policy.ts) as it ships and as Chromium applies it: the built page
 * carries exactly the policy's CSP, and the windows and the simulated desktop run under the harness's
 * derived policy without a single violation or console error (a directive a meta tag cannot carry, or a
 * policy too strict for the page, would show up here).
 */
let browser: Browser;
let rig: Rig;

beforeAll(async () => {
  browser = await launchChromium();
  rig = await startRig({ passphrase: 'p', status: luksNeededStatus() });
});
afterAll(async () => {
  await rig.close();
  await browser.close();
});

/** Every console error and CSP violation in the page and its frames, as they happen. */
async function watchForProblems(page: Page): Promise<string[]> {
  const problems: string[] = [];
  // A string, not a function: this file is type-checked without the DOM library.
  await page.addInitScript(
    "document.addEventListener('securitypolicyviolation', (e) => console.error(" +
      "'CSP violation: ' + e.violatedDirective + ' blocked ' + e.blockedURI))",
  );
  page.on('console', (m: ConsoleMessage) => {
    // Chromium asks every top-level page for /favicon.ico; the simulated desktop has none.
    const url = m.location().url;
    if (m.type() === 'error' && !url.endsWith('/favicon.ico')) problems.push(`${m.text()} ${url}`);
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return problems;
}

describe('renderer policy', () => {
  it('is in the built page exactly, as its only CSP, ahead of every script and stylesheet', () => {
    const html = readFileSync(path.resolve('dist/renderer/index.html'), 'utf8');
    const metas = [...html.matchAll(/<meta http-equiv="Content-Security-Policy" content="([^"]*)"/g)];
    expect(metas.map((m) => m[1])).toEqual([metaCsp(RENDERER_CSP)]);
    const at = html.indexOf('http-equiv="Content-Security-Policy"');
    expect(at).toBeLessThan(html.indexOf('<script'));
    expect(at).toBeLessThan(html.indexOf('<link rel="stylesheet"'));
  });

  it('lets the simulated desktop and its windows run without a violation or a console error', async () => {
    await waitForTray(rig.desktop, 'action_needed');
    const page = await newPage(browser, { viewport: { width: 1400, height: 900 } });
    const problems = await watchForProblems(page);
    await page.goto(rig.desktop.url);
    await page.locator('.notification', { hasText: 'Create a recovery key' }).click();
    const dialog = page.frameLocator('[data-window="passphrase"] iframe');
    await dialog.getByLabel('Disk encryption passphrase').waitFor();
    await page.locator('#tray').click();
    await page.getByRole('menuitem', { name: 'My Device' }).click();
    const device = page.frameLocator('[data-window="my-device"] iframe');
    await device.getByRole('heading', { name: 'My Device' }).waitFor();
    expect(problems).toEqual([]);

    // The watch sees a violation when there is one: a window may not reach anywhere but the harness.
    const frame = page.frames().find((f) => f.url().includes('#passphrase'));
    await frame?.evaluate('fetch("https://example.invalid/").catch(() => {})');
    await expect.poll(() => problems.some((p) => p.includes('CSP violation: connect-src'))).toBe(true);
    await page.close();
  });
});
