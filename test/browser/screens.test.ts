import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { LogoutError } from '../../src-main/core/logout-port.js';
import { mainStrings } from '../../src-main/core/strings.js';
import { FakeAgent, luksNeededStatus, macLogoutStatus } from '../../web-harness/test-support/fake-agent.js';
import { startWebDesktop } from '../../web-harness/web-desktop.js';
import {
  expectNoAxeViolations,
  launchChromium,
  newPage,
  openWindowPage,
  type Rig,
  screenshot,
  startRig,
  waitForTray,
} from './test-support/browser.js';

/**
 * Every screen in every state a user can meet, in light and dark: axe must find nothing, and each one is
 * saved to test-results/screenshots/ for a human to look at.
 */
const RIGHT = 'correct horse battery staple';
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser.close();
});

async function check(page: Page, name: string): Promise<void> {
  await expectNoAxeViolations(page);
  await screenshot(page, name);
}

async function withRig<T>(rigPromise: Promise<Rig>, fn: (rig: Rig) => Promise<T>): Promise<T> {
  const rig = await rigPromise;
  try {
    return await fn(rig);
  } finally {
    await rig.close();
  }
}

describe.each(['light', 'dark'] as const)('every screen, %s', (scheme) => {
  it('passphrase dialog: idle, wrong passphrase, progress, success; My Device before and after', async () => {
    await withRig(
      startRig({ passphrase: RIGHT, status: luksNeededStatus(), holdAt: 'saving_to_disk' }),
      async ({ desktop, agent }) => {
        await waitForTray(desktop, 'action_needed');
        const device = await openWindowPage(browser, desktop, 'my-device', scheme);
        await check(device, `my-device-action-needed-${scheme}`);

        const page = await openWindowPage(browser, desktop, 'passphrase', scheme);
        await check(page, `passphrase-idle-${scheme}`);
        await page.getByLabel('Disk encryption passphrase').fill('wrong');
        await page.keyboard.press('Enter');
        await page.getByText('attempts left').waitFor();
        await page.locator('#passphrase').dispatchEvent('keydown', { key: 'A', modifierCapsLock: true });
        await page.getByText('Caps Lock is on.').waitFor();
        await check(page, `passphrase-wrong-capslock-${scheme}`);

        await page.getByLabel('Disk encryption passphrase').fill(RIGHT);
        await page.keyboard.press('Enter');
        await page.getByText('Saving the key on your disk…').waitFor();
        await check(page, `passphrase-progress-${scheme}`);
        agent.release();
        await page
          .getByRole('heading', { name: 'Your recovery key is secured' })
          .waitFor({ timeout: 10_000 });
        await check(page, `passphrase-success-${scheme}`);

        await device.getByText('Held by your organization').waitFor();
        // The IT team's phone and email, as the organisation set them in the admin console.
        await device.getByText('+1 555 0100').waitFor();
        await device.getByText('it@example.org').waitFor();
        await check(device, `my-device-escrowed-${scheme}`);
        await page.close();
        await device.close();
      },
    );
  });

  it('passphrase dialog in cool-down', async () => {
    await withRig(
      startRig({ passphrase: RIGHT, status: luksNeededStatus(), attempts: 1 }),
      async ({ desktop }) => {
        await waitForTray(desktop, 'action_needed');
        const page = await openWindowPage(browser, desktop, 'passphrase', scheme);
        await page.getByLabel('Disk encryption passphrase').fill('wrong');
        await page.keyboard.press('Enter');
        await page.getByText('Too many attempts').waitFor();
        await check(page, `passphrase-cooldown-${scheme}`);
        await page.close();
      },
    );
  });

  it('My Device when the server cannot be reached, and About', async () => {
    const status = luksNeededStatus({
      action: null,
      server: {
        state: 'unreachable',
        url: 'https://escrow.example.org',
        lastContactAt: new Date(Date.now() - 3 * 3600_000).toISOString(),
        message: 'The server did not answer within 10 seconds.',
      },
    });
    status.volumes = status.volumes.map((v) => ({
      ...v,
      escrow: { state: 'uploading', escrowedAt: null, keySlot: 2 },
    }));
    await withRig(startRig({ passphrase: RIGHT, status }), async ({ desktop }) => {
      await waitForTray(desktop, 'working');
      const device = await openWindowPage(browser, desktop, 'my-device', scheme);
      await device.getByText('Cannot be reached').waitFor();
      await check(device, `my-device-server-unreachable-${scheme}`);
      const about = await openWindowPage(browser, desktop, 'about', scheme);
      await check(about, `about-${scheme}`);
      await device.close();
      await about.close();
    });
  });

  it('My Device when the agent is not running', async () => {
    const agent = await FakeAgent.start({ passphrase: RIGHT, status: luksNeededStatus() });
    await agent.stop();
    const desktop = await startWebDesktop({ socketPath: agent.socketPath });
    try {
      await waitForTray(desktop, 'agent_unavailable');
      const page = await openWindowPage(browser, desktop, 'my-device', scheme);
      await check(page, `my-device-agent-unavailable-${scheme}`);
      await page.close();
    } finally {
      await desktop.close();
      await agent.close();
    }
  });

  it('log-out prompt: with deferrals, overdue, and when Automation is not allowed', async () => {
    const refusing = {
      async logOut() {
        throw new LogoutError('automation_denied', mainStrings.errors.automationDenied);
      },
    };
    await withRig(
      startRig(
        { passphrase: RIGHT, status: macLogoutStatus({ deferralsLeft: 2 }) },
        { platform: 'darwin', logout: refusing },
      ),
      async ({ desktop, agent }) => {
        await waitForTray(desktop, 'action_needed');
        const page = await openWindowPage(browser, desktop, 'logout', scheme);
        await check(page, `logout-prompt-${scheme}`);
        const device = await openWindowPage(browser, desktop, 'my-device', scheme);
        await check(device, `my-device-logout-needed-${scheme}`);
        await device.close();
        agent.setAction({
          kind: 'macos_logout',
          deadline: new Date(Date.now() - 60_000).toISOString(),
          deferralsLeft: 0,
          nextPromptAt: null,
        });
        await page.getByText('The deadline has passed.').waitFor();
        await check(page, `logout-overdue-${scheme}`);
        await page.getByRole('button', { name: 'Log out now' }).click();
        await page.getByRole('heading', { name: 'To log out yourself' }).waitFor();
        await check(page, `logout-automation-denied-${scheme}`);
        await page.close();
      },
    );
  });

  it('the simulated desktop: tray menu and notification', async () => {
    await withRig(startRig({ passphrase: RIGHT, status: luksNeededStatus() }), async ({ desktop }) => {
      await waitForTray(desktop, 'action_needed');
      const page = await newPage(browser, { colorScheme: scheme, viewport: { width: 900, height: 420 } });
      await page.goto(desktop.url);
      await page.locator('.notification').waitFor();
      await page.locator('#tray').click();
      await page.getByRole('menuitem', { name: 'My Device' }).waitFor();
      await check(page, `desktop-tray-menu-${scheme}`);
      await page.close();
    });
  });
});
