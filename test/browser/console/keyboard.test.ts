import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newPage } from '../test-support/browser.js';
import { type ConsoleRig, PASSWORD, PEOPLE, startConsoleRig } from './test-support/console-rig.js';

/**
 * Every flow by keyboard alone: no click, no fill; only Tab, Enter, Space, Escape and typing. Focus is
 * always visible, dialogs keep it inside and give it back, and the skip link is the first stop.
 */
let browser: Browser;
let rig: ConsoleRig;
beforeAll(async () => {
  browser = await launchChromium();
  rig = await startConsoleRig({ database: 'sqlite', hosts: 120 });
});
afterAll(async () => {
  await rig?.close();
  await browser?.close();
});

// Page-side code is written as strings: this file is type-checked without the DOM library.
const FOCUSED_NAME = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return '';
  const label = el.labels && el.labels[0] ? el.labels[0].textContent : null;
  return (el.getAttribute('aria-label') ?? label ?? el.textContent ?? '').trim();
})()`;
const FOCUS_RING = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return 'nothing focused';
  const s = getComputedStyle(el);
  return s.outlineStyle === 'none' || s.outlineWidth === '0px' ? 'no ring on ' + el.tagName : 'ok';
})()`;
const FOCUS_IN_DIALOG = "Boolean(document.activeElement && document.activeElement.closest('dialog'))";
const FOCUSED_TAG = 'document.activeElement ? document.activeElement.tagName : ""';

/** The focused element's name: its aria-label, its label's text, or its own text. */
function focusedName(page: Page): Promise<string> {
  return page.evaluate(FOCUSED_NAME) as Promise<string>;
}

/** Presses Tab until the focused element's name matches (or fails after `max` presses). */
async function tabTo(page: Page, name: string | RegExp, max = 200): Promise<void> {
  const matches = (n: string) => (typeof name === 'string' ? n === name : name.test(n));
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (matches(await focusedName(page))) return;
  }
  throw new Error(`Tab never reached ${name}`);
}

/** The focused element shows a focus ring (an outline that is not none or zero wide). */
async function expectVisibleFocus(page: Page): Promise<void> {
  expect(await page.evaluate(FOCUS_RING)).toBe('ok');
}

describe('the console by keyboard alone', () => {
  it('sign in, skip link, search, sort, open a host, reveal with a reason, hide, rotate', async () => {
    const page = await newPage(browser, { viewport: { width: 1280, height: 900 } });
    await page.goto(`${rig.url}/admin/hosts`);
    await page.getByLabel('Email').waitFor();
    // The email field has the focus; type, Tab, type, Enter.
    await page.keyboard.type(PEOPLE.admin);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Hosts', level: 1 }).waitFor();

    // A fresh load: the first Tab is the skip link, and it takes the focus past the navigation.
    await page.reload();
    await page.getByRole('heading', { name: 'Hosts', level: 1 }).waitFor();
    await page.keyboard.press('Tab');
    expect(await focusedName(page)).toBe('Skip to content');
    await expectVisibleFocus(page);
    await page.keyboard.press('Enter');
    await tabTo(page, 'Export CSV');
    await tabTo(page, 'Search');
    await expectVisibleFocus(page);
    await page.keyboard.type(rig.keyed.identity.hardware_serial);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);

    await tabTo(page, /^Serial/);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('th[aria-sort="ascending"]').textContent()).toContain('Serial');
    await tabTo(page, rig.keyed.identity.hostname);
    await expectVisibleFocus(page);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: rig.keyed.identity.hostname, level: 1 }).waitFor();
    // After a move inside the console the heading has the focus, so Tab goes on from the page's top.
    expect(await page.evaluate(FOCUSED_TAG)).toBe('H1');

    await tabTo(page, 'Reveal key');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await focusedName(page)).toBe('Reason');
    await page.keyboard.type('Keyboard run: user on the phone');
    await page.keyboard.press('Enter');
    await dialog.locator('.recovery-key').waitFor();
    expect(await focusedName(page)).toBe('Copy');
    // The focus stays inside the dialog however often Tab is pressed.
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate(FOCUS_IN_DIALOG)).toBe(true);
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await focusedName(page)).toBe('Reveal key');

    await tabTo(page, 'Rotate key');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    expect(await focusedName(page)).toBe('Cancel');
    await page.keyboard.press('Tab');
    expect(await focusedName(page)).toBe('Rotate key');
    await page.keyboard.press('Enter');
    await page.getByText('Rotation requested').waitFor();
    await page.close();
  });

  it('filters activities, pages hosts and signs out', async () => {
    const page = await newPage(browser, { viewport: { width: 400, height: 800 } });
    await page.goto(`${rig.url}/admin/activities`);
    await page.getByLabel('Email').waitFor();
    await page.keyboard.type(PEOPLE.admin);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Activities', level: 1 }).waitFor();
    await tabTo(page, 'Who');
    await page.keyboard.type(PEOPLE.admin);
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).searchParams.get('actor')).toBe(PEOPLE.admin);

    await tabTo(page, 'Hosts');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Hosts', level: 1 }).waitFor();
    await tabTo(page, /^Next →$/);
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).searchParams.get('cursor')).not.toBeNull();
    await page.locator('tbody tr').first().waitFor();
    await tabTo(page, /^← Previous$/);
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).searchParams.get('cursor')).toBeNull();

    await tabTo(page, 'Sign out');
    await page.keyboard.press('Enter');
    await page.getByLabel('Email').waitFor();
    await page.close();
  });

  it('edits a team’s policy, moves a host to it, sets the IT contact, creates and revokes a token', async () => {
    const page = await newPage(browser, { viewport: { width: 1280, height: 900 } });
    await page.goto(`${rig.url}/admin/policy`);
    await page.getByLabel('Email').waitFor();
    await page.keyboard.type(PEOPLE.admin);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Policy and teams', level: 1 }).waitFor();

    await tabTo(page, 'Edit Engineering');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    expect(await focusedName(page)).toBe('Escrow recovery keys for this team’s hosts');
    await tabTo(page, 'Deferrals allowed');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('5');
    await tabTo(page, 'Require a reason to reveal a key');
    await page.keyboard.press('Space');
    await tabTo(page, 'Save');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    const teams = (await rig.api('GET', '/teams')).body as {
      teams: { id: number; name: string; max_deferrals: number | null; reason_required: boolean }[];
    };
    const engineering = teams.teams.find((t) => t.name === 'Engineering');
    expect(engineering).toMatchObject({ max_deferrals: 5, reason_required: false });

    // A host moves to that team from its page: the select takes arrow keys, the button Enter.
    await page.goto(`${rig.url}/admin/hosts/${rig.mac.hostId}`);
    await page.getByRole('heading', { name: rig.mac.identity.hostname, level: 1 }).waitFor();
    await tabTo(page, 'Move to team');
    await page.keyboard.press('ArrowDown');
    await tabTo(page, 'Move');
    await page.keyboard.press('Enter');
    await page.getByText('Moved to Engineering.').waitFor();
    expect((await rig.t.server.store.getHostView(rig.mac.hostId))?.host.team_id).toBe(engineering?.id);

    await page.goto(`${rig.url}/admin/organisation`);
    await page.getByRole('heading', { name: 'Organisation', level: 1 }).waitFor();
    await tabTo(page, 'IT contact phone');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('+1 555 0199');
    await tabTo(page, 'Save');
    await page.keyboard.press('Enter');
    await expect
      .poll(
        async () =>
          ((await rig.api('GET', '/config')).body as { org_info: { contact_phone: string } }).org_info
            .contact_phone,
      )
      .toBe('+1 555 0199');

    await page.goto(`${rig.url}/admin/tokens`);
    await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
    await tabTo(page, 'New token');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    expect(await focusedName(page)).toBe('Name');
    await page.keyboard.type('keyboard token');
    await tabTo(page, 'Create token');
    await page.keyboard.press('Enter');
    await page.getByText('it is shown only this once').waitFor();
    expect(await focusedName(page)).toBe('Copy');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await tabTo(page, 'Revoke keyboard token');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    await tabTo(page, 'Revoke token');
    await page.keyboard.press('Enter');
    await page
      .getByText(/^Revoked /)
      .first()
      .waitFor();
    await page.close();
  });
});
