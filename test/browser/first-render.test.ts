import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { luksNeededStatus } from '../../web-harness/test-support/fake-agent.js';
import { launchChromium, newPage, type Rig, startRig, waitForTray } from './test-support/browser.js';

/**
 * A window shows the agent's state at its first render: the state comes with the page (in Electron, the
 * preload holds it before the page's scripts run), not after a round trip on the event stream.
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

describe('first render', () => {
  it('shows the dialog from the state served with the page, with the event stream cut off', async () => {
    await waitForTray(rig.desktop, 'action_needed');
    const page = await newPage(browser);
    let streamAsked = false;
    await page.route('**/api/events**', (route) => {
      streamAsked = true;
      return route.abort();
    });
    rig.desktop.shellEvents.clickMenu('create-recovery-key');
    await page.goto(rig.desktop.windowUrl('passphrase'));
    const field = page.locator('#passphrase');
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('passphrase');
    expect(await field.isEnabled()).toBe(true);
    expect(await page.locator('main[aria-busy]').count()).toBe(0);
    expect(streamAsked).toBe(true);
    await page.close();
  });
});
