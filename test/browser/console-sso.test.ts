import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SsoRig, startSsoRig } from '../../src-server/test-support/sso.js';
import { expectNoAxeViolations, launchChromium, newPage, screenshot } from './test-support/browser.js';

/**
 * The console's sign-in page on a server with single sign-on: the "Sign in with single sign-on" button (in
 * light and dark, axe clean) takes an admin through a real OpenID provider in process and back to the page
 * they asked for; with --disable-password-login the email + password form is gone.
 */
let browser: Browser;
let rig: SsoRig;
let noPasswords: SsoRig;

beforeAll(async () => {
  browser = await launchChromium();
  rig = await startSsoRig();
  noPasswords = await startSsoRig({ disablePasswordLogin: true });
});
afterAll(async () => {
  await rig?.close();
  await noPasswords?.close();
  await browser?.close();
});

async function idpLogin(page: Page, login: string) {
  await page.locator('input[name="login"]').waitFor();
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.locator('button[type="submit"]').click();
}

describe('console sign-in with single sign-on', () => {
  it.each(['light', 'dark'] as const)(
    'offers the button beside the password form (%s)',
    async (colorScheme) => {
      const page = await newPage(browser, { colorScheme, viewport: { width: 1280, height: 800 } });
      try {
        await page.goto(`${rig.t.url}/admin/sign-in`);
        const sso = page.getByRole('link', { name: 'Sign in with single sign-on' });
        await sso.waitFor();
        await expect.poll(() => page.getByLabel('Email').count()).toBe(1);
        await expectNoAxeViolations(page);
        await screenshot(page, `console-sign-in-sso-${colorScheme}`);
      } finally {
        await page.close();
      }
    },
  );

  it('signs an admin in through the identity provider and opens the page they asked for', async () => {
    const page = await newPage(browser, { colorScheme: 'light', viewport: { width: 1280, height: 800 } });
    try {
      await page.goto(`${rig.t.url}/admin/sign-in?next=${encodeURIComponent('/admin/activities')}`);
      const sso = page.getByRole('link', { name: 'Sign in with single sign-on' });
      expect(await sso.getAttribute('href')).toBe(
        `/sso/login?return_to=${encodeURIComponent('/admin/activities')}`,
      );
      await sso.click();
      await idpLogin(page, 'alice');
      await page.waitForURL(`${rig.t.url}/admin/activities`);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      expect(await page.getByText('Sign in to Escrow admin').count()).toBe(0);
    } finally {
      await page.close();
    }
  });

  it('shows no password form when the server signs people in with single sign-on only', async () => {
    const page = await newPage(browser, { colorScheme: 'light', viewport: { width: 1280, height: 800 } });
    try {
      await page.goto(`${noPasswords.t.url}/admin/sign-in`);
      await page.getByRole('link', { name: 'Sign in with single sign-on' }).waitFor();
      await page.getByText('Your organisation signs in with its own sign-in service only.').waitFor();
      expect(await page.getByLabel('Password').count()).toBe(0);
      await expectNoAxeViolations(page);
      await screenshot(page, 'console-sign-in-sso-only');
    } finally {
      await page.close();
    }
  });
});
