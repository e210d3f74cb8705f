import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from '../../../ipc/admin/console-policy.js';
import { expectNoAxeViolations, launchChromium, newPage, screenshot } from '../test-support/browser.js';
import { type ConsoleRig, consolePage, type Person, startConsoleRig } from './test-support/console-rig.js';

/**
 * Every screen of the console, in light, dark and at 400 px: axe must find nothing, no console error or
 * CSP violation may happen, and each is saved as test-results/screenshots/console-*.png for a person to
 * look at.
 */
let browser: Browser;
let rig: ConsoleRig;
beforeAll(async () => {
  browser = await launchChromium();
  rig = await startConsoleRig({ database: 'sqlite', hosts: 300 });
});
afterAll(async () => {
  await rig?.close();
  await browser?.close();
});

const VARIANTS = {
  light: { colorScheme: 'light', viewport: { width: 1280, height: 900 } },
  dark: { colorScheme: 'dark', viewport: { width: 1280, height: 900 } },
  narrow: { colorScheme: 'light', viewport: { width: 400, height: 800 } },
} as const;
type Variant = keyof typeof VARIANTS;

/** Console errors and CSP violations, as they happen (the page must have none). */
async function watch(page: Page): Promise<string[]> {
  const problems: string[] = [];
  await page.addInitScript(
    "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective))",
  );
  page.on('console', (m) => {
    // Chromium logs every 4xx answer to a fetch; "not signed in" (the probe) and a wrong password are
    // expected answers here, not problems of the page.
    if (m.type() === 'error' && !/status of 401 \(Unauthorized\)/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return problems;
}

async function check(page: Page, name: string, variant: Variant): Promise<void> {
  await page
    .locator('[aria-busy="true"]')
    .first()
    .waitFor({ state: 'detached' })
    .catch(() => {});
  await expectNoAxeViolations(page);
  await screenshot(page, `console-${name}-${variant}`);
}

async function open(
  who: Person,
  path: string,
  variant: Variant,
): Promise<{ page: Page; problems: string[] }> {
  const page = await consolePage(browser, rig, who, path, VARIANTS[variant]);
  const problems = await watch(page);
  return { page, problems };
}

describe('the page as the server sends it', () => {
  it('carries a CSP header at least as strict as the console’s own policy, and the page runs under it', async () => {
    for (const path of ['/admin/', '/admin/hosts/1']) {
      const res = await fetch(`${rig.url}${path}`);
      expect(res.headers.get('content-type')).toContain('text/html');
      const header = new Map(
        (res.headers.get('content-security-policy') ?? '').split(';').map((d) => {
          const [name = '', ...sources] = d.trim().split(/\s+/);
          return [name, sources] as const;
        }),
      );
      for (const [name, sources] of Object.entries(CONSOLE_CSP))
        expect(header.get(name), name).toEqual(sources);
      // Anything the server adds may only name the console's own origin.
      for (const [name, sources] of header)
        if (!(name in CONSOLE_CSP)) expect(sources, name).toEqual(["'self'"]);
    }
  });
});

describe.each(Object.keys(VARIANTS) as Variant[])('every console screen, %s', (variant) => {
  it('sign-in, empty and after a wrong password', async () => {
    const page = await newPage(browser, VARIANTS[variant]);
    const problems = await watch(page);
    await page.goto(`${rig.url}/admin/`);
    await page.getByLabel('Email').waitFor();
    await check(page, 'sign-in', variant);
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('do not match an account').waitFor();
    await check(page, 'sign-in-error', variant);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('dashboard, hosts, activities, policy, organisation, users, API tokens', async () => {
    const { page, problems } = await open('admin', '/admin/', variant);
    const screens: [string, string, string][] = [
      ['dashboard', '/admin/', 'Dashboard'],
      ['hosts', '/admin/hosts', 'Hosts'],
      ['activities', '/admin/activities', 'Activities'],
      ['policy', '/admin/policy', 'Policy and teams'],
      ['organisation', '/admin/organisation', 'Organisation'],
      ['users', '/admin/users', 'Users'],
      ['tokens', '/admin/tokens', 'API tokens'],
    ];
    for (const [name, path, heading] of screens) {
      await page.goto(`${rig.url}${path}`);
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await check(page, name, variant);
    }
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a host, the reveal dialog before and after, and the rotate dialog', async () => {
    const { page, problems } = await open('admin', `/admin/hosts/${rig.keyed.hostId}`, variant);
    await page.getByRole('heading', { name: rig.keyed.identity.hostname, level: 1 }).waitFor();
    await check(page, 'host', variant);
    await page.getByRole('button', { name: 'Reveal key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').waitFor();
    await dialog.getByRole('button', { name: 'Reveal key' }).click();
    await dialog.getByText('Enter a reason').waitFor();
    await check(page, 'reveal-reason', variant);
    await dialog.getByLabel('Reason').fill('Screenshot run: checking the dialog');
    await dialog.getByRole('button', { name: 'Reveal key' }).click();
    await dialog.locator('.recovery-key').waitFor();
    await check(page, 'reveal-key', variant);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('button', { name: 'Rotate key' }).click();
    await page.getByRole('dialog').waitFor();
    await check(page, 'rotate', variant);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('dialogs on policy, users and tokens; a new token shown once', async () => {
    const { page, problems } = await open('admin', '/admin/policy', variant);
    await page.getByRole('button', { name: /^Edit Engineering/ }).click();
    await page.getByRole('dialog').waitFor();
    await check(page, 'policy-edit', variant);
    await page.keyboard.press('Escape');
    await page.goto(`${rig.url}/admin/users`);
    await page.getByRole('button', { name: 'New user' }).click();
    await page.getByRole('dialog').waitFor();
    await check(page, 'user-new', variant);
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Edit olga@example.com' }).click();
    await page.getByRole('dialog').getByText('Disabled: may not sign in').waitFor();
    await check(page, 'user-edit', variant);
    await page.keyboard.press('Escape');
    await page.goto(`${rig.url}/admin/tokens`);
    await page.getByRole('button', { name: 'New token' }).click();
    await page.getByRole('dialog').getByLabel('Name').fill(`screenshots ${variant}`);
    await page.getByRole('dialog').getByRole('button', { name: 'Create token' }).click();
    await page.getByText('it is shown only this once').waitFor();
    await check(page, 'token-created', variant);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a Mac whose user keeps postponing the log-out: the reason and the count on its page', async () => {
    const { page, problems } = await open('admin', `/admin/hosts/${rig.mac.hostId}`, variant);
    await page.getByRole('heading', { name: rig.mac.identity.hostname, level: 1 }).waitFor();
    await page.getByText(`The user postponed the log-out ${rig.mac.deferrals} times.`).waitFor();
    await page.getByText(`${rig.mac.user} · last logged in at the screen`).waitFor();
    await check(page, 'host-mac-postponed', variant);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('markup an agent sent as hostname, serial, user and escrow error is shown as text, never run', async () => {
    const h = rig.hostile;
    const { page, problems } = await open(
      'admin',
      `/admin/hosts?query=${encodeURIComponent('hostile')}`,
      variant,
    );
    const row = page.locator('tbody tr');
    await expect.poll(() => row.count()).toBe(1);
    await row.getByText(h.user, { exact: true }).waitFor();
    await row.getByText(h.serial, { exact: true }).waitFor();
    await check(page, 'hosts-hostile', variant);
    await page.getByRole('link', { name: h.hostname }).click();
    await page.getByRole('heading', { name: h.hostname, level: 1 }).waitFor();
    await page.getByText(`Escrow failed on the host: ${h.clientError}`).waitFor();
    await page.getByText(`${h.user} · last logged in at the screen`).waitFor();
    await check(page, 'host-hostile', variant);
    // Nothing the strings spelled became an element, and none of their script ran.
    expect(await page.locator('main img, main iframe, main script, main b').count()).toBe(0);
    expect(await page.evaluate('typeof window.__xss')).toBe('undefined');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('helpdesk: a page its role does not include; an observer on a host', async () => {
    const helpdesk = await open('helpdesk', '/admin/policy', variant);
    await helpdesk.page.getByRole('heading', { name: 'Not available to your role' }).waitFor();
    await check(helpdesk.page, 'helpdesk-not-allowed', variant);
    const observer = await open('observer', `/admin/hosts/${rig.keyed.hostId}`, variant);
    await observer.page.getByRole('heading', { name: rig.keyed.identity.hostname, level: 1 }).waitFor();
    await check(observer.page, 'observer-host', variant);
    expect([...helpdesk.problems, ...observer.problems]).toEqual([]);
    await helpdesk.page.close();
    await observer.page.close();
  });
});
