import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_API_PATHS } from '../../ipc/agent-server/orbit-api.js';
import { call } from '../../src-server/test-support/admin.js';
import { BITLOCKER_KEY, enroll, envelopeFor, luksKey } from '../../src-server/test-support/server.js';
import { newLinkCode, type SsoRig, startSsoRig } from '../../src-server/test-support/sso.js';
import { expectNoAxeViolations, launchChromium, newPage, screenshot } from './test-support/browser.js';

/**
 * The link page and the self-service portal in Chromium, signed in through a real OpenID provider in
 * process: at phone and desktop width, light and dark, axe clean on every page of ours, the whole way done
 * with the keyboard once, and every page saved to test-results/screenshots/ (sso-*.png, portal-*.png).
 */
let browser: Browser;
let rig: SsoRig;

beforeAll(async () => {
  browser = await launchChromium();
  rig = await startSsoRig();
  await rig.t.server.store.setDiskEncryption(null, true);
  await rig.t.server.store.sso.setSelfServicePolicy(
    null,
    { enabled: true, reveals_per_day: 50 },
    new Date().toISOString(),
  );
  await call(
    rig.t,
    'PATCH',
    '/config',
    { token: rig.t.init.admin_token },
    {
      org_info: { org_name: 'Example Corp', contact_email: 'it@example.com' },
    },
  );
});
afterAll(async () => {
  await rig?.close();
  await browser?.close();
});

const WIDTHS = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 860 } } as const;

async function hostWithKey(platform: 'linux' | 'windows', seed: number) {
  const h = await enroll(rig.t, platform);
  const key = platform === 'linux' ? luksKey(seed) : BITLOCKER_KEY;
  const path = platform === 'linux' ? AGENT_API_PATHS.luksData : AGENT_API_PATHS.diskEncryptionKey;
  const extra = platform === 'linux' ? { key_slot: 1, salt: 'c2FsdA==' } : {};
  const res = await rig.t.post(path, {
    orbit_node_key: h.nodeKey,
    ...extra,
    base64_encrypted: await envelopeFor(rig.t, h.nodeKey, key),
    client_error: '',
  });
  expect(res.status).toBe(204);
  return h;
}

async function check(page: Page, name: string) {
  await expectNoAxeViolations(page);
  // Nothing wider than the screen (a phone must not scroll sideways).
  const overflow = (await page.evaluate(
    'document.documentElement.scrollWidth - window.innerWidth',
  )) as number;
  expect(overflow, `${name} scrolls sideways`).toBeLessThanOrEqual(0);
  await screenshot(page, name);
}

/** Tab (only) until the locator has focus; fails if it never does. */
async function tabTo(page: Page, target: Locator) {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el.matches(':focus'))) return;
  }
  throw new Error('never reached by Tab');
}

async function idpLogin(page: Page, login: string) {
  await page.locator('input[name="login"]').waitFor();
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.locator('button[type="submit"]').click();
}

describe.each(['light', 'dark'] as const)('link page and portal, %s', (scheme) => {
  it.each(Object.keys(WIDTHS) as (keyof typeof WIDTHS)[])(
    'at %s width: link, list, host, reveal',
    async (width) => {
      const tag = `${scheme}-${width}`;
      // One person per run: the per-person reveal limit (5 at once) must not carry over between runs.
      const login = `person-${tag}`;
      const email = `${login}@example.com`;
      rig.idp.accounts.set(login, { email, name: `Pat ${scheme} ${width}`, groups: ['staff'] });
      const linux = await hostWithKey('linux', scheme === 'light' ? 1 : 2);
      const page = await newPage(browser, { colorScheme: scheme, viewport: WIDTHS[width] });
      try {
        const code = await newLinkCode(rig.t, linux.nodeKey);
        await page.goto(`${rig.t.url}${code.link_path}`);
        await check(page, `sso-link-sign-in-${tag}`);
        await page.getByRole('link', { name: 'Sign in with your work account' }).click();
        await idpLogin(page, login);
        await page.getByRole('heading', { name: 'Is this your computer?' }).waitFor();
        expect(page.url()).toBe(`${rig.t.url}${code.link_path}`);
        await check(page, `sso-link-confirm-${tag}`);
        await page.getByRole('button', { name: `Yes, link ${linux.identity.hostname} to me` }).click();
        await page.getByRole('heading', { name: 'Linked' }).waitFor();
        await check(page, `sso-link-done-${tag}`);

        // A Windows laptop an admin linked to the same person, for the second key format.
        const win = await hostWithKey('windows', 9);
        await call(
          rig.t,
          'POST',
          `/hosts/${win.hostId}/linked_user`,
          { token: rig.t.init.admin_token },
          { email },
        );

        await page.getByRole('link', { name: 'Go to My devices' }).click();
        await page.getByRole('heading', { name: 'My devices' }).waitFor();
        await check(page, `portal-list-${tag}`);
        await page.getByRole('link', { name: linux.identity.hostname, exact: true }).click();
        await page.getByRole('heading', { name: linux.identity.hostname }).waitFor();
        await check(page, `portal-host-${tag}`);
        await page.getByRole('link', { name: 'Get the recovery key' }).click();
        await page.getByRole('heading', { name: 'Get the recovery key' }).waitFor();
        await check(page, `portal-reveal-confirm-${tag}`);
        await page.getByRole('checkbox').check();
        await page.getByLabel('Why do you need the key?').selectOption('forgot_passphrase');
        await page.getByRole('button', { name: 'Show the recovery key' }).click();
        await page.getByRole('heading', { name: `Recovery key for ${linux.identity.hostname}` }).waitFor();
        const groups = await page.locator('.key .g').allTextContents();
        expect(groups.join('-')).toBe(luksKey(scheme === 'light' ? 1 : 2));
        await check(page, `portal-key-luks-${tag}`);

        await page.goto(`${rig.t.url}/my-device/hosts/${win.hostId}/reveal`);
        await page.getByRole('checkbox').check();
        await page.getByLabel('Why do you need the key?').selectOption('recovery_prompt');
        await page.getByRole('button', { name: 'Show the recovery key' }).click();
        await page.locator('.key .g').first().waitFor();
        expect((await page.locator('.key .g').allTextContents()).join('-')).toBe(BITLOCKER_KEY);
        await check(page, `portal-key-bitlocker-${tag}`);

        // Later: the sign-in is no longer fresh, so the key needs a new one.
        rig.clock.advance(11 * 60_000);
        try {
          await page.goto(`${rig.t.url}/my-device/hosts/${linux.hostId}/reveal`);
          await page.getByRole('heading', { name: 'Confirm it is you' }).waitFor();
          await check(page, `portal-fresh-sign-in-${tag}`);
        } finally {
          rig.clock.advance(-11 * 60_000);
        }
        // Someone else's computer, and a used link.
        await page.goto(`${rig.t.url}/my-device/hosts/999999`);
        await check(page, `portal-not-found-${tag}`);
        await page.goto(`${rig.t.url}${code.link_path}`);
        await check(page, `sso-link-expired-${tag}`);
      } finally {
        await page.close();
      }
    },
  );
});

describe('keyboard only', () => {
  it('link, then reveal, without a mouse', async () => {
    const h = await hostWithKey('linux', 7);
    const page = await newPage(browser, { colorScheme: 'light', viewport: WIDTHS.phone });
    try {
      const code = await newLinkCode(rig.t, h.nodeKey);
      await page.goto(`${rig.t.url}${code.link_path}`);
      await tabTo(page, page.getByRole('link', { name: 'Sign in with your work account' }));
      await page.keyboard.press('Enter');
      await page.locator('input[name="login"]').waitFor();
      await page.keyboard.type('dave');
      await page.keyboard.press('Tab');
      await page.keyboard.type('any password');
      await page.keyboard.press('Enter');
      const yes = page.getByRole('button', { name: `Yes, link ${h.identity.hostname} to me` });
      await yes.waitFor();
      await tabTo(page, yes);
      // The focus is visible (an outline), not only present.
      expect(await yes.evaluate((el) => el.matches(':focus-visible'))).toBe(true);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Linked' }).waitFor();
      await tabTo(page, page.getByRole('link', { name: 'Go to My devices' }));
      await page.keyboard.press('Enter');
      await tabTo(
        page,
        page.getByRole('link', { name: `Details and recovery key for ${h.identity.hostname}` }),
      );
      await page.keyboard.press('Enter');
      await tabTo(page, page.getByRole('link', { name: 'Get the recovery key' }));
      await page.keyboard.press('Enter');
      await tabTo(page, page.getByRole('checkbox'));
      await page.keyboard.press('Space');
      await tabTo(page, page.getByLabel('Why do you need the key?'));
      await page.keyboard.press('ArrowDown');
      await tabTo(page, page.getByRole('button', { name: 'Show the recovery key' }));
      await page.keyboard.press('Enter');
      await page.locator('.key .g').first().waitFor();
      expect((await page.locator('.key .g').allTextContents()).join('-')).toBe(luksKey(7));
      await screenshot(page, 'portal-keyboard-key-light-phone');
    } finally {
      await page.close();
    }
  });
});
