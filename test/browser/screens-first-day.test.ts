import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WindowKind } from '../../ipc/window-bridge/contract.js';
import { CONTENT_HEIGHT_SCRIPT } from '../../src-main/electron/fit-window.js';
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
 * The screens' first-day rough edges (issue 17, "Screens"): My Device never contradicts itself and says
 * when a cool-down ends, disabled buttons look disabled in dark mode, windows carry human titles and fit
 * their content, narrow and zoomed windows keep every control on screen, and the tray menu follows the
 * menu keyboard pattern. Each state is axe-checked in light and dark and saved as a screenshot.
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

const bodyText = (page: Page) => page.locator('body').innerText();

describe.each(['light', 'dark'] as const)('first-day screens, %s', (scheme) => {
  it('a cool-down: the dialog focuses the message, the tray and My Device say when to try again', async () => {
    const status = luksNeededStatus();
    if (status.action?.kind === 'luks_passphrase') status.action.reason = 'rotation_requested';
    status.volumes = status.volumes.map((v) => ({
      ...v,
      escrow: { state: 'escrowed', escrowedAt: new Date().toISOString(), keySlot: 1 },
    }));
    await withRig(startRig({ passphrase: RIGHT, status, attempts: 1 }), async ({ desktop }) => {
      await waitForTray(desktop, 'action_needed');
      const dialog = await openWindowPage(browser, desktop, 'passphrase', scheme);
      await dialog.getByLabel('Disk encryption passphrase').fill('wrong');
      await dialog.keyboard.press('Enter');
      await dialog.getByText('Too many attempts').waitFor();
      // The field is disabled now: focus is on the sentence that says until when, not lost on <body>.
      await expect
        .poll(() => dialog.evaluate<string>("document.activeElement?.textContent ?? ''"))
        .toContain('Too many attempts');

      await expect
        .poll(() => desktop.shellEvents.snapshot().tray?.menu[0])
        .toMatchObject({ label: expect.stringContaining('you can try again at') });
      const item = desktop.shellEvents
        .snapshot()
        .tray?.menu.find((m) => m.kind === 'command' && m.command === 'create-recovery-key');
      expect(item?.kind === 'command' && item.label).toMatch(/^Create recovery key \(try again at .+\)…$/);

      const device = await openWindowPage(browser, desktop, 'my-device', scheme);
      const text = await bodyText(device);
      expect(text).toMatch(/you can try again at/);
      expect(text).not.toContain('about a minute');
      expect(text).not.toContain('Everything looks fine');
      // The key the organization holds is not plain "held" while it asks for a new one.
      expect(text).toContain(
        'Held by your organization — your organization asked for a new one; try again at',
      );
      expect(await device.getByRole('button', { name: 'Create recovery key…' }).count()).toBe(0);
      await check(dialog, `first-day-passphrase-cooldown-focus-${scheme}`);
      await check(device, `first-day-my-device-cooldown-${scheme}`);
      await dialog.close();
      await device.close();
    });
  });

  it('My Device: a disk that needs attention is never "Everything looks fine"; facts line up', async () => {
    const status = luksNeededStatus({ action: null });
    status.volumes = [
      {
        ...status.volumes[0],
        escrow: { state: 'escrowed', escrowedAt: new Date().toISOString(), keySlot: 1 },
      },
      {
        id: 'data',
        label: 'Data',
        device: '/dev/sdb1',
        encryption: 'none',
        encrypted: false,
        escrow: { state: 'not_required', escrowedAt: null, keySlot: null },
      },
    ] as typeof status.volumes;
    await withRig(startRig({ passphrase: RIGHT, status }), async ({ desktop }) => {
      await waitForTray(desktop, 'escrowed');
      const device = await openWindowPage(browser, desktop, 'my-device', scheme);
      await device.getByText('One of your disks needs attention').waitFor();
      const text = await bodyText(device);
      expect(text).not.toContain('Everything looks fine');
      expect(text).not.toContain('in safe hands');
      // Every card's values start at the same x: one label column for all of them.
      const starts = await device
        .locator('.card .facts dd')
        .evaluateAll((dds) => [...new Set(dds.map((d) => Math.round(d.getBoundingClientRect().left)))]);
      expect(starts).toHaveLength(1);
      await check(device, `first-day-my-device-unencrypted-disk-${scheme}`);
      await device.close();
    });
  });

  it('My Device with a failed escrow or an unreachable server says each sentence once', async () => {
    const status = luksNeededStatus({
      action: null,
      server: { state: 'unreachable', url: 'https://escrow.example.org', lastContactAt: null },
    });
    status.volumes = status.volumes.map((v) => ({
      ...v,
      escrow: { state: 'escrowed', escrowedAt: new Date().toISOString(), keySlot: 1 },
    }));
    await withRig(startRig({ passphrase: RIGHT, status }), async ({ desktop, agent }) => {
      await waitForTray(desktop, 'server_unreachable');
      const device = await openWindowPage(browser, desktop, 'my-device', scheme);
      expect((await bodyText(device)).match(/cannot reach your organization’s server/g)).toHaveLength(1);
      agent.setStatus({
        ...status,
        server: { ...status.server, state: 'connected' },
        volumes: status.volumes.map((v) => ({
          ...v,
          escrow: { state: 'failed', escrowedAt: null, keySlot: null, message: 'Not a LUKS device' },
        })),
      });
      await device.getByText('Not a LUKS device').waitFor();
      const text = await bodyText(device);
      expect(text.match(/The last attempt to secure the key failed/g)).toHaveLength(1);
      expect(text).not.toContain('Everything looks fine');
      await check(device, `first-day-my-device-failed-${scheme}`);
      await device.close();
    });
  });

  it('My Device without the agent says it once, not three times', async () => {
    const agent = await FakeAgent.start({ passphrase: RIGHT, status: luksNeededStatus() });
    await agent.stop();
    const desktop = await startWebDesktop({ socketPath: agent.socketPath });
    try {
      await waitForTray(desktop, 'agent_unavailable');
      const page = await openWindowPage(browser, desktop, 'my-device', scheme);
      const text = await bodyText(page);
      expect(text.match(/not running/g)).toHaveLength(1);
      expect(text).not.toContain('Everything looks fine');
      await check(page, `first-day-my-device-agent-down-${scheme}`);
      await page.close();
    } finally {
      await desktop.close();
      await agent.close();
    }
  });

  it('a disabled primary button looks disabled (no accent fill, readable, dashed outline)', async () => {
    await withRig(startRig({ passphrase: RIGHT, status: luksNeededStatus() }), async ({ desktop }) => {
      await waitForTray(desktop, 'action_needed');
      const page = await openWindowPage(browser, desktop, 'passphrase', scheme);
      const submit = page.getByRole('button', { name: 'Create recovery key' });
      expect(await submit.isDisabled()).toBe(true);
      const look = await page.evaluate<ButtonLook>(DISABLED_SUBMIT_LOOK);
      expect(look.background).not.toBe(look.accentRgb);
      expect(look.border).toBe('dashed');
      expect(look.opacity).toBe('1');
      expect(contrast(look.color, look.page)).toBeGreaterThanOrEqual(4.5);
      await page.getByLabel('Disk encryption passphrase').fill('x');
      expect(await submit.isDisabled()).toBe(false);
      expect((await page.evaluate<ButtonLook>(DISABLED_SUBMIT_LOOK)).border).toBe('solid');
      await page.getByLabel('Disk encryption passphrase').fill('');
      await check(page, `first-day-disabled-primary-${scheme}`);
      await page.close();
    });
  });

  it('About: the privacy sentence does not contradict itself', async () => {
    await withRig(startRig({ passphrase: RIGHT, status: luksNeededStatus() }), async ({ desktop }) => {
      await waitForTray(desktop, 'action_needed');
      const about = await openWindowPage(browser, desktop, 'about', scheme);
      const text = await bodyText(about);
      expect(text).not.toContain('never sees');
      expect(text).toContain('Your passphrase is used once, on this computer');
      await check(about, `first-day-about-${scheme}`);
      await about.close();
    });
  });
});

describe('narrow and zoomed windows', () => {
  // Linux windows beside a Mac's log-out prompt (with its deadline and deferrals), each from its own rig.
  const rigs: { platform: 'linux' | 'darwin'; kinds: WindowKind[] }[] = [
    { platform: 'linux', kinds: ['passphrase', 'my-device', 'about', 'new-passphrase'] },
    { platform: 'darwin', kinds: ['logout'] },
  ];
  // 400 px wide; and a window at 200 % zoom (half the CSS pixels at twice the density).
  const sizes = [
    { name: '400px', width: 400, height: 700, scale: 1 },
    { name: 'zoom200', width: 290, height: 320, scale: 2 },
  ];
  it.each(sizes)(
    '$name: no sideways scrolling, every control fully on screen (light and dark)',
    async (size) => {
      for (const { platform, kinds } of rigs) {
        const rig =
          platform === 'linux'
            ? startRig({ passphrase: RIGHT, status: luksNeededStatus() })
            : startRig(
                { passphrase: RIGHT, status: macLogoutStatus({ deferralsLeft: 2 }) },
                { platform: 'darwin' },
              );
        await withRig(rig, async ({ desktop }) => {
          await waitForTray(desktop, 'action_needed');
          for (const scheme of ['light', 'dark'] as const) {
            for (const kind of kinds) await checkNarrow(desktop.windowUrl(kind), kind, scheme, size);
          }
        });
      }
    },
  );
});

async function checkNarrow(
  url: string,
  kind: WindowKind,
  scheme: 'light' | 'dark',
  size: { name: string; width: number; height: number; scale: number },
): Promise<void> {
  const context = await browser.newContext({
    colorScheme: scheme,
    viewport: { width: size.width, height: size.height },
    deviceScaleFactor: size.scale,
  });
  const page = await context.newPage();
  try {
    await page.goto(url);
    await page.locator('main:not([aria-busy])').waitFor();
    const layout = await page.evaluate<{ scrollWidth: number; width: number; outside: string[] }>(
      LAYOUT_OVERFLOW,
    );
    expect(layout.outside, `${kind} ${scheme}`).toEqual([]);
    expect(layout.scrollWidth, `${kind} ${scheme}`).toBeLessThanOrEqual(layout.width);
    await expectNoAxeViolations(page);
    await screenshot(page, `first-day-${kind}-${size.name}-${scheme}`);
  } finally {
    await context.close();
  }
}

describe('the simulated desktop: titles, sizes, tray keyboard, notifications', () => {
  it.each(['light', 'dark'] as const)('%s', async (scheme) => {
    await withRig(startRig({ passphrase: RIGHT, status: luksNeededStatus() }), async ({ desktop }) => {
      await waitForTray(desktop, 'action_needed');
      const page = await newPage(browser, { colorScheme: scheme, viewport: { width: 1400, height: 1000 } });
      await page.goto(desktop.url);

      // The notification's accessible name keeps a space between its title and its body.
      await page
        .getByRole('button', { name: /^Create a recovery key Your organization needs a recovery key/ })
        .waitFor();

      // Menu pattern: Down opens on the first item, End/Home jump, arrows wrap, Escape returns to the tray.
      const tray = page.locator('#tray');
      await tray.focus();
      await page.keyboard.press('ArrowDown');
      const focused = () => page.evaluate<string>("document.activeElement?.textContent ?? ''");
      const focusedId = () => page.evaluate<string>("document.activeElement?.id ?? ''");
      expect(await page.locator('#tray-menu').isVisible()).toBe(true);
      expect(await focused()).toBe('Create recovery key…');
      await page.keyboard.press('End');
      expect(await focused()).toBe('About Escrow Desktop');
      await page.keyboard.press('ArrowDown');
      expect(await focused()).toBe('Create recovery key…');
      await page.keyboard.press('ArrowUp');
      expect(await focused()).toBe('About Escrow Desktop');
      await page.keyboard.press('Home');
      expect(await focused()).toBe('Create recovery key…');
      await check(page, `first-day-tray-menu-keyboard-${scheme}`);
      await page.keyboard.press('Escape');
      expect(await page.locator('#tray-menu').isHidden()).toBe(true);
      expect(await focusedId()).toBe('tray');
      expect(await tray.getAttribute('aria-expanded')).toBe('false');

      // Up opens on the last item; Enter chooses it; the window's title bar says its human title.
      await page.keyboard.press('ArrowUp');
      expect(await focused()).toBe('About Escrow Desktop');
      await page.keyboard.press('Enter');
      const about = page.locator('[data-window="about"]');
      await about.locator('.window-title').filter({ hasText: 'About Escrow Desktop' }).waitFor();
      await tray.focus();
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      expect(await focused()).toBe('My Device');
      await page.keyboard.press('Enter');
      const device = page.locator('[data-window="my-device"]');
      await device.locator('.window-title').filter({ hasText: 'My Device' }).waitFor();
      expect(await page.locator('.window-title').allTextContents()).not.toContain('my-device');

      // Sized to content: the frame is as tall as its page, no empty lower half.
      for (const kind of ['about', 'my-device']) {
        await expect.poll(() => page.evaluate<number>(emptyBelowContent(kind))).toBeLessThan(40);
      }
      await check(page, `first-day-desktop-windows-${scheme}`);

      // Escape in a window closes it; focus goes back to the tray, not to nowhere.
      await page.frameLocator('[data-window="my-device"] iframe').locator('h1').press('Escape');
      await device.waitFor({ state: 'detached' });
      await expect.poll(focusedId).toBe('tray');

      // Electron's windows ask their page the same question (fit-window.ts): the answer is the content's
      // height once the screen has its state, far below the old fixed 520–720 px for a short window.
      const aboutPage = await openWindowPage(browser, desktop, 'about', scheme);
      const height = await aboutPage.evaluate<number>(CONTENT_HEIGHT_SCRIPT);
      const bottom = await aboutPage.evaluate<number>(
        "document.querySelector('main').getBoundingClientRect().bottom",
      );
      expect(Math.abs(height - bottom)).toBeLessThan(40);
      expect(height).toBeLessThan(380);
      // By the time main has its answer (and shows the window), the page has set its human title.
      expect(await aboutPage.title()).toBe('About Escrow Desktop');
      await aboutPage.close();
      await page.close();
    });
  });
});

// Browser-side checks, as source text: this file is compiled for Node, without the DOM's types.

interface ButtonLook {
  background: string;
  border: string;
  color: string;
  opacity: string;
  accentRgb: string;
  page: string;
}

/** How the passphrase dialog's submit button looks, beside the accent colour and the page's background. */
const DISABLED_SUBMIT_LOOK = `(() => {
  const b = document.querySelector('button[type="submit"]');
  const s = getComputedStyle(b);
  const probe = document.createElement('span');
  probe.style.color = getComputedStyle(document.documentElement).getPropertyValue('--accent').trim();
  document.body.append(probe);
  const accentRgb = getComputedStyle(probe).color;
  probe.remove();
  return {
    background: s.backgroundColor,
    border: s.borderTopStyle,
    color: s.color,
    opacity: s.opacity,
    accentRgb,
    page: getComputedStyle(document.body).backgroundColor,
  };
})()`;

/** The page's scroll width, and every control or text block that sticks out left or right. */
const LAYOUT_OVERFLOW = `(() => {
  const width = document.documentElement.clientWidth;
  const outside = [...document.querySelectorAll('button, input, a, h1, h2, p, dd')]
    .filter((el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && (r.left < -0.5 || r.right > width + 0.5);
    })
    .map((el) => el.outerHTML.slice(0, 80));
  return { scrollWidth: document.documentElement.scrollWidth, width, outside };
})()`;

/** Pixels between the bottom of a simulated window's page content and the bottom of its frame. */
const emptyBelowContent = (kind: string) => `(() => {
  const f = document.querySelector('[data-window="${kind}"] iframe');
  const main = f.contentDocument.querySelector('main');
  return Math.abs(f.clientHeight - main.getBoundingClientRect().bottom);
})()`;

/** WCAG contrast ratio of two computed `rgb(…)` colours. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((v) => {
      const x = Number(v) / 255;
      return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (bl ?? 0);
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}
