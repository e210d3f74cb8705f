import { mkdirSync } from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { WindowKind } from '../../../ipc/window-bridge/contract.js';
import { FakeAgent, type FakeAgentOptions } from '../../../web-harness/test-support/fake-agent.js';
import {
  type StartWebDesktopOptions,
  startWebDesktop,
  type WebDesktop,
} from '../../../web-harness/web-desktop.js';

export const SCREENSHOT_DIR = path.resolve('test-results/screenshots');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface Rig {
  agent: FakeAgent;
  desktop: WebDesktop;
  close(): Promise<void>;
}

/** A fake agent on a real socket and the real desktop core + web harness connected to it. */
export async function startRig(
  agentOpts: FakeAgentOptions,
  desktopOpts: Omit<StartWebDesktopOptions, 'socketPath'> = {},
): Promise<Rig> {
  const agent = await FakeAgent.start(agentOpts);
  const desktop = await startWebDesktop({ socketPath: agent.socketPath, ...desktopOpts });
  return {
    agent,
    desktop,
    async close() {
      await desktop.close();
      await agent.close();
    },
  };
}

/** Waits until the core has told the shell to show `icon` in the tray. */
export async function waitForTray(desktop: WebDesktop, icon: string): Promise<void> {
  await expect.poll(() => desktop.shellEvents.snapshot().tray?.icon, { timeout: 10_000 }).toBe(icon);
}

/** A page in its own context (axe needs one); closing the page closes the context. */
export async function newPage(
  browser: Browser,
  options: { colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number } } = {},
): Promise<Page> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  // The browser may already be gone (afterAll); nothing is left to close then.
  page.on('close', () => void context.close().catch(() => {}));
  return page;
}

export async function openWindowPage(
  browser: Browser,
  desktop: WebDesktop,
  kind: WindowKind,
  colorScheme: 'light' | 'dark' = 'light',
): Promise<Page> {
  const page = await newPage(browser, {
    colorScheme,
    viewport: { width: kind === 'my-device' ? 720 : 580, height: 640 },
  });
  await page.goto(desktop.windowUrl(kind));
  await page.locator('main:not([aria-busy])').waitFor();
  return page;
}

/** axe-core over the page: every rule, both colour schemes are checked by the callers. */
export async function expectNoAxeViolations(page: Page): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  const summary = result.violations.map(
    (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`,
  );
  expect(summary).toEqual([]);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}
