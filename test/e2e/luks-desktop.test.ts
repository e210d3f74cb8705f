import type { Browser, FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opens } from '../../src-agent/linux/test-support/luks-image.js';
import { startWebDesktop, type WebDesktop } from '../../web-harness/web-desktop.js';
import {
  expectNoAxeViolations,
  launchChromium,
  newPage,
  screenshot,
  waitForTray,
} from '../browser/test-support/browser.js';
import { type AgentWorld, makeWorld } from './test-support/agent-harness.js';

/**
 * The whole product for real: the escrow server (SQLite), the agent on a LUKS2 image file with real
 * cryptsetup, the desktop core with its UI in Chromium. Nothing here is faked; the key the admin reads back
 * from the server must open the image.
 */
const RIGHT = 'correct horse battery staple';
const WRONG = 'incorrect horse battery staple';

let browser: Browser;
let world: AgentWorld;
let desktop: WebDesktop;

beforeAll(async () => {
  world = await makeWorld(RIGHT, 2); // the user's key deliberately not in slot 0
  await world.server.enableEncryption();
  await world.startAgent();
  desktop = await startWebDesktop({ socketPath: world.socketPath, platform: 'linux' });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await desktop?.close();
  await world?.cleanup();
});

function windowFrame(page: Page, kind: string): FrameLocator {
  return page.frameLocator(`[data-window="${kind}"] iframe`);
}

describe('end to end: server → agent → desktop → server', () => {
  it('escrows a key that opens the disk, from "action needed" to "escrowed" in the UI', async () => {
    // The server wants a key; the agent tells the desktop; the tray says so.
    await waitForTray(desktop, 'action_needed');
    const page = await newPage(browser, { viewport: { width: 1400, height: 900 } });
    await page.goto(desktop.url);
    await expect.poll(() => page.locator('#tray').getAttribute('data-state')).toBe('action_needed');
    await screenshot(page, 'e2e-1-action-needed');

    // The notification opens the dialog.
    await page.locator('.notification', { hasText: 'Create a recovery key' }).click();
    const dialog = windowFrame(page, 'passphrase');
    const field = dialog.getByLabel('Disk encryption passphrase');
    await field.waitFor();

    // A wrong passphrase is checked by real cryptsetup against every slot and refused with attempts left.
    await field.fill(WRONG);
    await field.press('Enter');
    await dialog.getByText(/4 attempts left/).waitFor({ timeout: 30_000 });
    await screenshot(page, 'e2e-2-wrong-passphrase');

    // The right one: progress, then success.
    await field.fill(RIGHT);
    await dialog.getByRole('button', { name: 'Create recovery key' }).click();
    await dialog.getByRole('heading', { name: 'Your recovery key is secured' }).waitFor({ timeout: 60_000 });
    await screenshot(page, 'e2e-3-success');
    await waitForTray(desktop, 'escrowed');

    // The admin reads the key back from the server, and it opens the image (real cryptsetup).
    const hostId = await world.server.onlyHostId();
    const key = await world.server.escrowedKey(hostId);
    expect(key).toMatch(/^([cbdefghijklnrtuv]{8}-){7}[cbdefghijklnrtuv]{8}$/);
    expect(opens(world.image.path, key as string)).toBe(true);
    expect(opens(world.image.path, RIGHT, 2)).toBe(true); // the user's own slot is untouched

    // My Device shows the key escrowed, its slot, never the key.
    await page.locator('#tray').click();
    await page.getByRole('menuitem', { name: 'My Device' }).click();
    const device = windowFrame(page, 'my-device');
    await device.getByText('Held by your organization').waitFor();
    const deviceHtml = await device.locator('html').innerHTML();
    expect(deviceHtml).not.toContain(key as string);
    expect(deviceHtml).not.toContain(RIGHT);
    await screenshot(page, 'e2e-4-my-device');

    // Every screen of the real flow passes axe.
    const alone = await newPage(browser, { viewport: { width: 720, height: 640 } });
    await alone.goto(desktop.windowUrl('my-device'));
    await alone.locator('main:not([aria-busy])').waitFor();
    await expectNoAxeViolations(alone);
    await alone.close();
    await page.close();

    // Nothing secret reached the server's or the agent's logs.
    const logs = world.server.logs.join('') + world.agentLogs.join('');
    expect(logs).not.toContain(RIGHT);
    expect(logs).not.toContain(key as string);
  });
});
