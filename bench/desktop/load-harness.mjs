/// <reference lib="dom" />
// Loads the web harness and the scripted test agent straight from their TypeScript sources (bundled with
// esbuild into dist/.bench), so the benches run the same code as the browser tests.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

/** @import { BrowserContext, Page } from 'playwright-core' */

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function loadHarness() {
  // Inside this checkout's dist/ (not node_modules/.cache: in a worktree node_modules may be a link to
  // another checkout, and the harness finds its renderer from where its own file lies).
  const outDir = path.join(root, 'dist/.bench');
  mkdirSync(outDir, { recursive: true });
  const outfile = path.join(outDir, `harness-${process.pid}.mjs`);
  await build({
    stdin: {
      contents: [
        "export { startWebDesktop } from './web-harness/web-desktop.ts';",
        "export { FakeAgent, luksNeededStatus } from './web-harness/test-support/fake-agent.ts';",
      ].join('\n'),
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    packages: 'external',
    logLevel: 'warning',
  });
  try {
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(outfile, { force: true });
  }
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // Electron force-disables Chromium's warm "spare" renderer (a window's renderer command line depends on
  // its webPreferences), and our rule is "no renderer while no window is open": a spare would be one.
  // Off here too, so each window pays for launching its renderer, as it does in the app.
  '--disable-features=SpareRendererForSitePerProcess',
];

/**
 * Chromium set up the way an Electron app window runs, as far as a browser can be:
 * - a persistent profile on disk, like Electron's default session (userData/), not an incognito context:
 *   an off-the-record context costs ~150 ms more per new page here and keeps no V8 code cache, while
 *   the app's app:// scheme is registered with codeCache;
 * - no viewport emulation (viewport: null): an app window is a real window of a fixed size, with no
 *   device-metrics override sent for every new page;
 * - the profile's first blank tab stays open. It keeps Chrome's browser window (tab strip, toolbar and
 *   omnibox models, which an Electron BrowserWindow does not have) so a new page is a tab, not a new
 *   browser window (~200 ms more per page on this VM). Each page still gets a renderer process of its
 *   own, launched for it and gone when it closes (window-cleanup.mjs counts them), as an app window does.
 * Returns the context (pages are windows) and a close() that also removes the profile.
 */
/** @param {string[]} [extraArgs] more Chromium switches */
export async function launchAppLikeChromium(extraArgs = []) {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'escrow-bench-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, ...extraArgs],
    viewport: null,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * @param {number[]} sorted ascending, not empty
 * @param {number} p the percentile, 0–100
 */
export function percentile(sorted, p) {
  return /** @type {number} */ (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
  );
}

const READY_SIGNAL = 'escrow-bench:interactive';

/**
 * Makes every page of `context` report, on its own clock, the first frame in which the user can type:
 * the focused element is an enabled text field (#passphrase in the dialog, #f in the empty page) and no
 * <main> says it is still loading. A few lines installed at document start, checked once per frame, and
 * reported as a console message, so that watching costs the page nothing: Playwright's waitForFunction
 * would compile its large injected script inside the page while the page is still loading (~20-50 ms of
 * the renderer's main thread on this VM), and would then see the field only at its next poll.
 */
/** @param {BrowserContext} context */
export async function reportInteractive(context) {
  await context.addInitScript(
    /** @param {string} signal */ (signal) => {
      const check = () => {
        const el = document.activeElement;
        const ready =
          el instanceof HTMLInputElement &&
          (el.id === 'passphrase' || el.id === 'f') &&
          !el.disabled &&
          !document.querySelector('main[aria-busy]');
        if (ready) console.debug(signal, performance.timeOrigin + performance.now());
        else requestAnimationFrame(check);
      };
      requestAnimationFrame(check);
    },
    READY_SIGNAL,
  );
}

/** Wall-clock time (ms since the epoch, as `Date.now()` but finer) at which `page` became interactive. */
/** @param {Page} page */
export async function interactiveAt(page) {
  const msg = await page.waitForEvent('console', {
    predicate: (m) => m.text().startsWith(READY_SIGNAL),
    timeout: 30_000,
  });
  return Number(msg.text().slice(READY_SIGNAL.length + 1));
}

/** Node's clock on the same axis as `interactiveAt` (both count from the epoch in fractional ms). */
export const wallNow = () => performance.timeOrigin + performance.now();

/**
 * The dialog benches' rig: the scripted agent asking for the LUKS passphrase, the real desktop core on the
 * web harness (tray already showing "action needed"), and app-like Chromium whose pages report when they
 * become interactive. openDialog() does what the user's menu click does, timed on the wall clock:
 * `clickedAt` the click, `pageAt` the page (window) made, `readyAt` the page interactive.
 */
/** @param {string[]} [extraArgs] more Chromium switches */
export async function startDialogRig(extraArgs = []) {
  const { startWebDesktop, FakeAgent, luksNeededStatus } = await loadHarness();
  const agent = await FakeAgent.start({ passphrase: 'x', status: luksNeededStatus() });
  const desktop = await startWebDesktop({ socketPath: agent.socketPath });
  const browser = await launchAppLikeChromium(extraArgs);
  const { context } = browser;
  const close = async () => {
    await browser.close();
    await desktop.close();
    await agent.close();
  };
  try {
    await reportInteractive(context);
    while (desktop.shellEvents.snapshot().tray?.icon !== 'action_needed')
      await new Promise((r) => setTimeout(r, 20));
  } catch (e) {
    await close();
    throw e;
  }
  return {
    context,
    async openDialog() {
      const clickedAt = wallNow();
      desktop.shellEvents.clickMenu('create-recovery-key');
      const page = await context.newPage();
      const pageAt = wallNow();
      const ready = interactiveAt(page);
      await page.goto(desktop.windowUrl('passphrase'), { waitUntil: 'commit' });
      return { page, clickedAt, pageAt, readyAt: await ready };
    },
    /** @param {Page} page */
    async closeDialog(page) {
      await page.close();
      desktop.shellEvents.closeWindow('passphrase');
    },
    close,
  };
}
