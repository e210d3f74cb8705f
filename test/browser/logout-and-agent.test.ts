import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LogoutError } from '../../src-main/core/logout-port.js';
import { mainStrings } from '../../src-main/core/strings.js';
import { FakeAgent, luksNeededStatus, macLogoutStatus } from '../../web-harness/test-support/fake-agent.js';
import { startWebDesktop, type WebDesktop } from '../../web-harness/web-desktop.js';
import { launchChromium, openWindowPage, type Rig, startRig, waitForTray } from './test-support/browser.js';

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

describe('macOS log-out prompt', () => {
  it('opens by itself, can be deferred, and after the deadline stays in front until the user logs out', async () => {
    rig = await startRig(
      { passphrase: 'unused', status: macLogoutStatus({ deferralsLeft: 2 }) },
      { platform: 'darwin' },
    );
    const { desktop, agent } = rig;
    await waitForTray(desktop, 'action_needed');
    await expect.poll(() => desktop.shellEvents.openWindows()).toEqual(['logout']);
    const tray = desktop.shellEvents.snapshot().tray;
    expect(tray?.menu).toContainEqual({
      kind: 'command',
      command: 'log-out',
      label: mainStrings.menu.logOut,
    });

    const page = await openWindowPage(browser, desktop, 'logout');
    await page.getByText('You can postpone 2 more times.').waitFor();
    await page.getByText(/Please log out by /).waitFor();
    // Focus is on the heading, never on "Log out now": a stray Enter must not end the session.
    expect(await page.locator('h1').evaluate((el) => el.matches(':focus'))).toBe(true);
    await page.keyboard.press('Enter');
    expect(desktop.logoutRequests).toEqual([]);

    await page.getByRole('button', { name: 'Later' }).click();
    await expect.poll(() => agent.received.includes('logout.defer')).toBe(true);
    await expect.poll(() => desktop.shellEvents.openWindows()).toEqual([]);
    expect(desktop.core.getState().logout?.deferralsLeft).toBe(1);
    expect(desktop.logoutRequests).toEqual([]);

    // The server's deadline passes: the prompt comes back in front, with no "Later" and no close button.
    agent.setAction({
      kind: 'macos_logout',
      deadline: new Date(Date.now() - 1000).toISOString(),
      deferralsLeft: 1,
      nextPromptAt: null,
    });
    await expect
      .poll(() => desktop.shellEvents.snapshot().windows)
      .toEqual([{ kind: 'logout', mustAct: true }]);
    await page.getByText('The deadline has passed.').waitFor();
    expect(await page.getByRole('button', { name: 'Later' }).count()).toBe(0);
    expect(desktop.shellEvents.closeByUser('logout')).toBe(false);
    expect((await desktop.core.handleRequest('logout', { type: 'close' })).ok).toBe(false);
    expect((await desktop.core.handleRequest('logout', { type: 'deferLogout' })).ok).toBe(false);

    await page.getByRole('button', { name: 'Log out now' }).click();
    await expect.poll(() => desktop.logoutRequests.length).toBe(1);

    // The new key reaches the server; the agent clears the action and the prompt disappears.
    agent.setAction(null);
    await expect.poll(() => desktop.shellEvents.openWindows()).toEqual([]);
    await page.close();
  });

  it('explains how to allow Automation, and how to log out by hand, when macOS refuses', async () => {
    rig = await startRig(
      { passphrase: 'unused', status: macLogoutStatus() },
      {
        platform: 'darwin',
        logout: {
          async logOut() {
            throw new LogoutError('automation_denied', mainStrings.errors.automationDenied);
          },
        },
      },
    );
    await waitForTray(rig.desktop, 'action_needed');
    const page = await openWindowPage(browser, rig.desktop, 'logout');
    await page.getByRole('button', { name: 'Log out now' }).click();
    await page.getByText('Privacy & Security › Automation').first().waitFor();
    await page.getByRole('heading', { name: 'To log out yourself' }).waitFor();
    await page.close();
  });
});

describe('agent connection', () => {
  it('says plainly when the agent is not running, and reconnects when it comes back', async () => {
    const agent = await FakeAgent.start({ passphrase: 'x', status: luksNeededStatus() });
    await agent.stop();
    let desktop: WebDesktop | null = null;
    try {
      desktop = await startWebDesktop({
        socketPath: agent.socketPath,
        reconnect: { initialMs: 50, maxMs: 200 },
      });
      await waitForTray(desktop, 'agent_unavailable');
      const page = await openWindowPage(browser, desktop, 'my-device');
      await page.getByText('The escrow agent is not running').first().waitFor();
      await agent.listen();
      await waitForTray(desktop, 'action_needed');
      await page.getByText('Create a recovery key for your disk.').waitFor();
      await page.close();
    } finally {
      await desktop?.close();
      await agent.close();
    }
  });

  it('without a tray (GNOME without AppIndicator) notifies and opens the dialog itself', async () => {
    rig = await startRig({ passphrase: 'x', status: luksNeededStatus() }, { hasTray: false });
    await expect.poll(() => rig?.desktop.shellEvents.openWindows()).toEqual(['passphrase']);
    expect(rig.desktop.shellEvents.records.some((r) => r.type === 'notify')).toBe(true);
  });
});
