import type { Browser, FrameLocator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { luksNeededStatus } from '../../web-harness/test-support/fake-agent.js';
import {
  launchChromium,
  newPage,
  openWindowPage,
  type Rig,
  startRig,
  waitForTray,
} from './test-support/browser.js';

const RIGHT = 'correct horse battery staple';
const WRONG = 'incorrect horse';

let browser: Browser;
let rig: Rig | null = null;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser.close();
});
afterEach(async () => {
  await rig?.close();
  rig = null;
});

function windowFrame(page: Page, kind: string): FrameLocator {
  return page.frameLocator(`[data-window="${kind}"] iframe`);
}

describe('LUKS escrow through the simulated desktop', () => {
  it('goes from "action needed" to an escrowed key, with a wrong passphrase on the way', async () => {
    rig = await startRig({
      passphrase: RIGHT,
      status: luksNeededStatus(),
      attempts: 3,
      holdAt: 'saving_to_disk',
    });
    const { desktop, agent } = rig;
    await waitForTray(desktop, 'action_needed');

    const page = await newPage(browser, { viewport: { width: 1400, height: 900 } });
    await page.goto(desktop.url);
    await expect.poll(() => page.locator('#tray').getAttribute('data-state')).toBe('action_needed');
    await expect
      .poll(() => page.locator('#tray-label').textContent())
      .toContain('Action needed: create a recovery key');

    // The notification says what is needed; clicking it opens the dialog.
    const notice = page.locator('.notification', { hasText: 'Create a recovery key' });
    await notice.click();
    const dialog = windowFrame(page, 'passphrase');
    const field = dialog.getByLabel('Disk encryption passphrase');
    await field.waitFor();
    await expect.poll(() => dialog.locator('#passphrase').evaluate((el) => el.matches(':focus'))).toBe(true);
    const submit = dialog.getByRole('button', { name: 'Create recovery key' });
    expect(await submit.isDisabled()).toBe(true);
    await expect.poll(() => dialog.getByText('Your organization keeps a recovery key').count()).toBe(1);

    // Wrong passphrase: inline error with the attempts left, field emptied, passphrase sent as a secret frame.
    await field.fill(WRONG);
    expect(await submit.isEnabled()).toBe(true);
    await field.press('Enter');
    expect(await field.inputValue()).toBe('');
    await dialog.getByText('2 attempts left').waitFor();
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    expect(agent.secrets).toEqual([WRONG]);
    expect(agent.received.slice(-2)).toEqual([`secret:${Buffer.byteLength(WRONG)}`, 'recoveryKey.create']);

    // Right passphrase: progress steps, then success and what happens next.
    await field.fill(RIGHT);
    await submit.click();
    expect(await field.inputValue()).toBe('');
    expect(await submit.isDisabled()).toBe(true);
    await dialog.getByText('Saving the key on your disk…').waitFor();
    expect(desktop.shellEvents.snapshot().tray?.icon).toBe('working');
    agent.release();
    await dialog.getByRole('heading', { name: 'Your recovery key is secured' }).waitFor();
    await dialog.getByText('Your passphrase has not changed').waitFor();
    expect(await dialog.getByRole('button', { name: 'Done' }).evaluate((el) => el.matches(':focus'))).toBe(
      true,
    );
    await waitForTray(desktop, 'escrowed');

    // The passphrase is nowhere in the page any more.
    const html = await dialog.locator('html').innerHTML();
    expect(html).not.toContain(RIGHT);
    expect(html).not.toContain(WRONG);

    // My Device from the tray menu shows the key held by the organization, its slot, never the key.
    await page.locator('#tray').click();
    await page.getByRole('menuitem', { name: 'My Device' }).click();
    const device = windowFrame(page, 'my-device');
    await device.getByText('Held by your organization').waitFor();
    await device.getByText('Key slot').waitFor();
    expect(await device.locator('dd', { hasText: /^1/ }).count()).toBeGreaterThan(0);
    await device.getByText('Nothing. Your disk’s recovery key is in safe hands.').waitFor();

    // Done closes the dialog window.
    await dialog.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => desktop.shellEvents.openWindows()).toEqual(['my-device']);
    await page.close();
  });

  it('pauses after too many wrong passphrases and says until when', async () => {
    rig = await startRig({
      passphrase: RIGHT,
      status: luksNeededStatus(),
      attempts: 1,
      cooldownMs: 10 * 60_000,
    });
    await waitForTray(rig.desktop, 'action_needed');
    const page = await openWindowPage(browser, rig.desktop, 'passphrase');
    await page.getByLabel('Disk encryption passphrase').fill(WRONG);
    await page.keyboard.press('Enter');
    await page.getByText(/Too many attempts\. For your safety you can try again at \d/).waitFor();
    expect(await page.getByLabel('Disk encryption passphrase').isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Create recovery key' }).isDisabled()).toBe(true);
    // A second submit would be refused by the core as well, not only by the disabled button.
    const r = await rig.desktop.core.handleRequest('passphrase', {
      type: 'createRecoveryKey',
      passphrase: RIGHT,
    });
    expect(r.ok).toBe(false);
    expect(rig.agent.secrets).toEqual([WRONG]);
    await page.close();
  });

  it('"Not now" asks the agent for a reminder and closes the dialog', async () => {
    rig = await startRig({ passphrase: RIGHT, status: luksNeededStatus() });
    await waitForTray(rig.desktop, 'action_needed');
    rig.desktop.shellEvents.clickMenu('create-recovery-key');
    const page = await openWindowPage(browser, rig.desktop, 'passphrase');
    await page.getByRole('button', { name: 'Not now' }).click();
    await expect.poll(() => rig?.agent.received.includes('luks.remindLater')).toBe(true);
    await expect.poll(() => rig?.desktop.shellEvents.openWindows()).toEqual([]);
    expect(rig.desktop.core.getState().passphrase.remindAt).not.toBeNull();
    await page.close();
  });

  it('works with the keyboard alone: focus on open, Tab order, Enter submits, Escape closes', async () => {
    rig = await startRig({ passphrase: RIGHT, status: luksNeededStatus() });
    await waitForTray(rig.desktop, 'action_needed');
    rig.desktop.shellEvents.clickMenu('create-recovery-key');
    const page = await openWindowPage(browser, rig.desktop, 'passphrase');
    // A string, not a function: this file is type-checked without the DOM library.
    const focused = () =>
      page.evaluate(
        'document.activeElement?.id || document.activeElement?.textContent || ""',
      ) as Promise<string>;
    expect(await focused()).toBe('passphrase');
    await page.keyboard.type(RIGHT);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Show');
    await page.keyboard.press('Enter'); // reveal
    expect(await page.locator('#passphrase').getAttribute('type')).toBe('text');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Not now');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Create recovery key');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Your recovery key is secured' }).waitFor();
    expect(await focused()).toBe('Done');
    await page.keyboard.press('Escape');
    await expect.poll(() => rig?.desktop.shellEvents.openWindows()).toEqual([]);
    await page.close();
  });

  it('warns when Caps Lock is on', async () => {
    rig = await startRig({ passphrase: RIGHT, status: luksNeededStatus() });
    await waitForTray(rig.desktop, 'action_needed');
    const page = await openWindowPage(browser, rig.desktop, 'passphrase');
    // Headless Chromium cannot toggle the real Caps Lock; the event carries the modifier state instead.
    await page.locator('#passphrase').dispatchEvent('keydown', { key: 'A', modifierCapsLock: true });
    await page.getByText('Caps Lock is on.').waitFor();
    await page.close();
  });
});
