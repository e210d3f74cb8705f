import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_API_PATHS } from '../../../ipc/agent-server/orbit-api.js';
import { envelopeFor, luksKey } from '../../../src-server/test-support/server.js';
import { launchChromium, newPage } from '../test-support/browser.js';
import {
  type ConsoleRig,
  consolePage,
  PEOPLE,
  signIn,
  startConsoleRig,
  stopPostgres,
} from './test-support/console-rig.js';
import { parseCsv } from './test-support/csv.js';

/**
 * What an admin does, end to end, against the real server on SQLite and on PostgreSQL: sign in (keeping
 * the page asked for), find one host by serial among 10,000, reveal its key with a reason, find that reason
 * in the activities, rotate, export the host list as CSV and read it back. And what the other roles may
 * not do: helpdesk never reaches policy, an observer never sees a key.
 */
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser.close();
  await stopPostgres();
});

describe.each(['sqlite', 'postgres'] as const)('the console on %s', (database) => {
  let rig: ConsoleRig;
  beforeAll(async () => {
    rig = await startConsoleRig({ database, hosts: 10_000 });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('an admin signs in, finds a host by serial, reveals its key with a reason, sees it logged, rotates, exports', async () => {
    const page = await newPage(browser, { viewport: { width: 1280, height: 900 } });
    // A deep link while signed out: sign-in first, then the page that was asked for.
    await page.goto(`${rig.url}/admin/hosts?platform=linux`);
    await page.getByRole('heading', { name: 'Sign in to Escrow admin' }).waitFor();
    expect(new URL(page.url()).searchParams.get('next')).toBe('/admin/hosts?platform=linux');
    await page.getByLabel('Email').fill(PEOPLE.admin);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('do not match an account').waitFor();
    await signIn(page, 'admin');
    await page.getByRole('heading', { name: 'Hosts', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/admin/hosts?platform=linux');

    const serial = rig.keyed.identity.hardware_serial;
    await page.getByLabel('Platform').selectOption('');
    await page.getByRole('searchbox', { name: 'Search' }).fill(serial);
    await page.keyboard.press('Enter');
    const link = page.getByRole('link', { name: rig.keyed.identity.hostname });
    await link.waitFor();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    await link.click();
    await page.getByRole('heading', { name: rig.keyed.identity.hostname, level: 1 }).waitFor();
    await page.getByText('Verified').first().waitFor();

    const reason = `INC-${Date.now()} user locked out after a firmware update`;
    await page.getByRole('button', { name: 'Reveal key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Reveal key' }).click();
    await dialog.getByText('Enter a reason').waitFor();
    await dialog.getByLabel('Reason').fill(reason);
    await dialog.getByRole('button', { name: 'Reveal key' }).click();
    const shown = dialog.locator('.recovery-key');
    await shown.waitFor();
    expect((await shown.textContent())?.replace(/\s/g, '')).toBe(rig.keyed.key);
    await dialog.getByText(/Hides in \d+ s/).waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Activities' }).click();
    await page.getByLabel('Host', { exact: true }).fill('no-such-host');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No host is known as “no-such-host”.').waitFor();
    await page.getByLabel('Host', { exact: true }).fill(serial);
    await page.getByLabel('What').selectOption('read_host_disk_encryption_key');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('host_id')).toBe(String(rig.keyed.hostId));
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    await page.getByRole('cell', { name: reason, exact: true }).waitFor();

    await page.goBack();
    await page.goBack();
    await page.getByRole('button', { name: 'Rotate key' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate key' }).click();
    await page.getByText('Rotation requested').waitFor();
    const rotated = await rig.t.server.store.getHostView(rig.keyed.hostId);
    expect(rotated?.host.rotate_requested).toBe(true);

    await nav.getByRole('link', { name: 'Hosts' }).click();
    await page.getByLabel('Platform').selectOption('windows');
    await page.getByRole('searchbox', { name: 'Search' }).fill('SEED00');
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).searchParams.get('query')).toBe('SEED00');
    const href = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
    expect(href).toContain('format=csv');
    const csv = await page.evaluate(async (h) => (await fetch(h ?? '')).text(), href);
    const rows = parseCsv(csv);
    expect(rows[0]).toContain('hardware_serial');
    const serialAt = rows[0]?.indexOf('hardware_serial') ?? -1;
    const platformAt = rows[0]?.indexOf('platform') ?? -1;
    const body = rows.slice(1);
    // SEED000000–SEED009999 all match "SEED00"; every third is Windows.
    expect(body.length).toBe(3333);
    expect(body.every((r) => r[platformAt] === 'windows' && r[serialAt]?.startsWith('SEED00'))).toBe(true);
    await page.close();
  });

  it('an admin reads why a Mac needs attention (the log-out was postponed) and finds it by its user’s name', async () => {
    const page = await consolePage(browser, rig, 'admin', '/admin/');
    const attention = page.getByRole('region', { name: /needs attention/i });
    await attention.getByText(`The user postponed the log-out ${rig.mac.deferrals} times.`).waitFor();

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Hosts' }).click();
    await page.getByRole('searchbox', { name: 'Search' }).fill('Grace.Hop');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    await page.locator('tbody tr').getByText(rig.mac.user, { exact: true }).waitFor();
    await page.getByRole('link', { name: rig.mac.identity.hostname }).click();
    await page.getByRole('heading', { name: rig.mac.identity.hostname, level: 1 }).waitFor();
    await page.getByText(`The user postponed the log-out ${rig.mac.deferrals} times.`).waitFor();
    await page
      .getByText(`Asked to log out so FileVault can make a new key; postponed ${rig.mac.deferrals} times.`)
      .waitFor();
    await page.getByText(`${rig.mac.user} · last logged in at the screen`).waitFor();
    await page.close();
  });

  it('a team that rotates after every reveal: the box is ticked and fixed; the key hides after 60 s', async () => {
    const team = (await rig.api('POST', '/teams', {
      name: `Finance ${database}`,
      enable_disk_encryption: true,
      reason_required: true,
      rotate_after_reveal: true,
    })) as { status: number; body: { team: { id: number } } };
    expect(team.status).toBe(200);
    const moved = await rig.api('POST', '/hosts/transfer', {
      team_id: team.body.team.id,
      hosts: [rig.keyed.hostId],
    });
    expect(moved.status).toBe(200);

    const page = await newPage(browser, { viewport: { width: 1280, height: 900 } });
    // The page's clock, so the 60 seconds can pass at once.
    await page.clock.install();
    await page.goto(`${rig.url}/admin/hosts/${rig.keyed.hostId}`);
    await page.getByLabel('Email').waitFor();
    await signIn(page, 'helpdesk');
    await page.getByRole('button', { name: 'Reveal key' }).click();
    const dialog = page.getByRole('dialog');
    const rotate = dialog.getByLabel('Rotate the key after it is revealed');
    expect(await rotate.isChecked()).toBe(true);
    expect(await rotate.isDisabled()).toBe(true);
    await dialog.getByText('Required by this team’s policy').waitFor();
    await dialog.getByLabel('Reason').fill('Forced rotation check');
    await dialog.getByRole('button', { name: 'Reveal key' }).click();
    await dialog.locator('.recovery-key').waitFor();
    await dialog.getByText('A new key has been requested').waitFor();
    await dialog.getByText('Hides in 60 s').waitFor();
    await page.clock.fastForward(30_000);
    await dialog.getByText('Hides in 30 s').waitFor();
    await page.clock.fastForward(31_000);
    await dialog.getByText('The key is hidden again').waitFor();
    expect(await dialog.locator('.recovery-key').count()).toBe(0);
    expect(await page.content()).not.toContain(rig.keyed.key);
    expect((await rig.t.server.store.getHostView(rig.keyed.hostId))?.host.rotate_requested).toBe(true);
    await page.close();
  });

  it('a replaced key is archived and can be revealed with a reason of its own', async () => {
    const newKey = luksKey(8);
    const res = await rig.t.post(AGENT_API_PATHS.luksData, {
      orbit_node_key: rig.keyed.nodeKey,
      key_slot: 2,
      salt: 'c2FsdDI=',
      base64_encrypted: await envelopeFor(rig.t, rig.keyed.nodeKey, newKey),
      client_error: '',
    });
    expect(res.status).toBe(204);
    const page = await consolePage(browser, rig, 'maintainer', `/admin/hosts/${rig.keyed.hostId}`);
    const archived = page.getByRole('region', { name: 'Archived keys' });
    await archived.getByText('Replaced by a newer key').first().waitFor();
    await archived
      .getByRole('button', { name: /^Reveal/ })
      .first()
      .click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').fill('Disk restored from a backup made last month');
    await dialog.getByRole('button', { name: 'Reveal key' }).click();
    await dialog.locator('.recovery-key').waitFor();
    expect((await dialog.locator('.recovery-key').textContent())?.replace(/\s/g, '')).toBe(rig.keyed.key);
    await page.keyboard.press('Escape');
    // The current key is the new one.
    await page.getByRole('button', { name: 'Reveal key' }).click();
    await dialog.getByLabel('Reason').fill('Checking the new key');
    await dialog.getByRole('button', { name: 'Reveal key' }).click();
    await dialog.locator('.recovery-key').waitFor();
    expect((await dialog.locator('.recovery-key').textContent())?.replace(/\s/g, '')).toBe(newKey);
    rig.keyed.key = newKey;
    await page.close();
  });

  it('a session ended on the server sends the admin to sign in, and back to the same page after', async () => {
    const page = await consolePage(browser, rig, 'admin', '/admin/activities');
    await page.getByRole('heading', { name: 'Activities', level: 1 }).waitFor();
    const users = (await rig.api('GET', '/users')) as { body: { users: { id: number; email: string }[] } };
    const ada = users.body.users.find((u) => u.email === PEOPLE.admin);
    expect((await rig.api('DELETE', `/users/${ada?.id}/sessions`)).status).toBeLessThan(300);
    await page.getByLabel('What').selectOption('signed_in');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('heading', { name: 'Sign in to Escrow admin' }).waitFor();
    await signIn(page, 'admin');
    await page.getByRole('heading', { name: 'Activities', level: 1 }).waitFor();
    expect(new URL(page.url()).searchParams.get('type')).toBe('signed_in');
    await page.close();
  });

  it('an admin makes a maintainer helpdesk; the next sign-in shows helpdesk’s console', async () => {
    const page = await consolePage(browser, rig, 'admin', '/admin/users');
    await page.getByRole('button', { name: `Edit ${PEOPLE.maintainer}` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/^Helpdesk/).check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByText(`${PEOPLE.maintainer}: Helpdesk, saved.`).waitFor();
    const other = await consolePage(browser, rig, 'maintainer', '/admin/');
    await other.getByRole('heading', { name: 'Hosts', level: 1 }).waitFor();
    expect(await other.getByRole('link', { name: 'Policy and teams' }).count()).toBe(0);
    // Back as it was, for the tests after this one.
    const users = (await rig.api('GET', '/users')) as { body: { users: { id: number; email: string }[] } };
    const max = users.body.users.find((u) => u.email === PEOPLE.maintainer);
    expect((await rig.api('PATCH', `/users/${max?.id}`, { role: 'maintainer' })).status).toBe(200);
    await page.close();
    await other.close();
  });

  it('helpdesk finds hosts and reveals keys but never reaches policy or users', async () => {
    const page = await consolePage(browser, rig, 'helpdesk');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Hosts' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Policy and teams' }).count()).toBe(0);
    expect(await nav.getByRole('link', { name: 'Users' }).count()).toBe(0);
    await page.goto(`${rig.url}/admin/policy`);
    await page.getByRole('heading', { name: 'Not available to your role' }).waitFor();
    // And the server refuses on its own, whatever the page shows.
    const status = await page.evaluate(async () => (await fetch('/api/latest/fleet/teams')).status);
    expect(status).toBe(403);
    await page.goto(`${rig.url}/admin/hosts/${rig.keyed.hostId}`);
    await page.getByRole('button', { name: 'Reveal key' }).waitFor();
    await page.close();
  });

  it('an observer sees hosts and statuses and never a key, nor a Reveal button', async () => {
    const page = await consolePage(browser, rig, 'observer', `/admin/hosts/${rig.keyed.hostId}`);
    await page.getByRole('heading', { name: rig.keyed.identity.hostname, level: 1 }).waitFor();
    await page.getByText('Verified').first().waitFor();
    expect(await page.getByRole('button', { name: /reveal/i }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /rotate/i }).count()).toBe(0);
    expect(await page.content()).not.toContain(rig.keyed.key);
    const csrf = await csrfToken(page);
    const status = await page.evaluate(
      async ([id, token]) =>
        (
          await fetch(`/api/latest/fleet/hosts/${id}/encryption_key`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-csrf-token': String(token) },
            body: JSON.stringify({ reason: 'curious' }),
          })
        ).status,
      [rig.keyed.hostId, csrf] as const,
    );
    expect(status).toBe(403);
    // Organisation settings: readable, not changeable.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Organisation' }).click();
    await page.getByLabel('Organisation name').waitFor();
    expect(await page.getByLabel('Organisation name').getAttribute('readonly')).not.toBeNull();
    expect(await page.getByRole('button', { name: 'Save' }).count()).toBe(0);
    await page.close();
  });
});

/** The session's CSRF token, as the console gets it: from /me. */
async function csrfToken(page: Page): Promise<string> {
  return page.evaluate(
    async () => ((await (await fetch('/api/latest/fleet/me')).json()) as { csrf_token: string }).csrf_token,
  );
}
