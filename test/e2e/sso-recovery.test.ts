import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../node-lib/logger.js';
import { makeLuks2Image, opens, type TestImage } from '../../src-agent/linux/test-support/luks-image.js';
import { type RunningAgent, startAgent } from '../../src-agent/start-agent.js';
import { call } from '../../src-server/test-support/admin.js';
import { type SsoRig, startSsoRig } from '../../src-server/test-support/sso.js';
import { startWebDesktop, type WebDesktop } from '../../web-harness/web-desktop.js';
import {
  expectNoAxeViolations,
  launchChromium,
  newPage,
  screenshot,
  waitForTray,
} from '../browser/test-support/browser.js';

/**
 * The whole recovery story, nothing faked but the person's hands: the escrow server with single sign-on
 * against an in-process OpenID provider, the agent on a LUKS2 image file with real cryptsetup, the desktop
 * core with its UI in Chromium. Ana links her laptop from My Device, forgets her passphrase, gets the
 * recovery key in the portal, "unlocks" the image with it (open --test-passphrase), and sets a new
 * passphrase in the desktop dialog; the agent rotates the used key.
 */
const FORGOTTEN = 'the passphrase Ana forgot';
const NEW = 'four new words here';
const FAST = { type: 'pbkdf2', hash: 'sha256', iterations: 1000 } as const;
const KEY_SHAPE = /^([cbdefghijklnrtuv]{8}-){7}[cbdefghijklnrtuv]{8}$/;

let browser: Browser;
let rig: SsoRig;
let image: TestImage;
let root: string;
let agent: RunningAgent;
let desktop: WebDesktop;
const agentLogs: string[] = [];

beforeAll(async () => {
  rig = await startSsoRig();
  await rig.t.server.store.setDiskEncryption(null, true);
  await rig.t.server.store.sso.setSelfServicePolicy(
    null,
    { enabled: true, reveals_per_day: 5 },
    new Date().toISOString(),
  );
  rig.idp.accounts.set('ana', { email: 'ana@example.com', name: 'Ana Person', groups: ['staff'] });
  root = await mkdtemp(path.join(os.tmpdir(), 'escrow-sso-recovery-'));
  const secretFile = path.join(root, 'enroll-secret');
  await writeFile(secretFile, `${rig.t.init.enroll_secret}\n`, { mode: 0o600 });
  image = makeLuks2Image(FORGOTTEN, 0);
  agent = await startAgent({
    serverUrl: rig.t.url,
    enrollSecretFile: secretFile,
    stateDir: path.join(root, 'state'),
    socketPath: path.join(root, 'run', 'agent.sock'),
    luksDevice: image.path,
    allowUsers: [],
    newSlotPbkdf: FAST,
    userSlotPbkdf: FAST,
    retry: { baseMs: 200, maxMs: 1000 },
    sessionsDir: path.join(root, 'sessions'),
    log: createLogger('escrow-agent', {
      level: 'debug',
      destination: { write: (line: string) => void agentLogs.push(line) },
    }),
  });
  desktop = await startWebDesktop({ socketPath: path.join(root, 'run', 'agent.sock'), platform: 'linux' });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await desktop?.close();
  await rig?.close();
  await agent?.stop();
  image?.cleanup();
  if (root) await rm(root, { recursive: true, force: true });
});

const frame = (page: Page, kind: string): FrameLocator => page.frameLocator(`[data-window="${kind}"] iframe`);

async function idpLogin(page: Page, login: string) {
  await page.locator('input[name="login"]').waitFor();
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.locator('button[type="submit"]').click();
}

// biome-ignore lint/suspicious/noExplicitAny: the test reads the admin API's JSON ad hoc
async function admin(method: 'GET' | 'POST', p: string): Promise<any> {
  const res = await call(rig.t, method, p, { token: rig.t.init.admin_token });
  expect(res.status, `${method} ${p}`).toBe(200);
  return res.json();
}

describe('end to end: link, reveal in the portal, unlock, set a new passphrase, key rotated', () => {
  it('tells the whole story from the person’s side and leaves the disk with a new passphrase and key', async () => {
    // 1. The first escrow, as on any laptop: the dialog with the passphrase Ana still knows then.
    await waitForTray(desktop, 'action_needed');
    const page = await newPage(browser, { viewport: { width: 1400, height: 950 } });
    await page.goto(desktop.url);
    await page.locator('.notification', { hasText: 'Create a recovery key' }).click();
    const first = frame(page, 'passphrase');
    await first.getByLabel('Disk encryption passphrase').fill(FORGOTTEN);
    await first.getByRole('button', { name: 'Create recovery key' }).click();
    await first.getByRole('heading', { name: 'Your recovery key is secured' }).waitFor({ timeout: 60_000 });
    await first.getByRole('button', { name: 'Done' }).click();
    await waitForTray(desktop, 'escrowed');
    const hostId = (await admin('GET', '/hosts')).hosts[0].id as number;

    // 2. My Device → "Link this computer": the agent asks for a code, main opens the system browser.
    await page.locator('#tray').click();
    await page.getByRole('menuitem', { name: 'My Device' }).click();
    const device = frame(page, 'my-device');
    await device.getByRole('button', { name: 'Link this computer to your work account' }).click();
    await device.getByText(/Your browser opened/).waitFor();
    await screenshot(page, 'e2e-sso-1-link-opened');
    const opened = desktop.shellEvents.records.flatMap((e) => (e.type === 'openExternal' ? [e.url] : []));
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatch(new RegExp(`^${rig.t.url}/link\\?code=`));

    // The person's browser: sign in with single sign-on, confirm the computer.
    const web = await newPage(browser, { viewport: { width: 390, height: 844 } });
    await web.goto(opened[0] as string);
    await web.getByRole('link', { name: 'Sign in with your work account' }).click();
    await idpLogin(web, 'ana');
    await web.getByRole('button', { name: /^Yes, link .* to me$/ }).click();
    await web.getByRole('heading', { name: 'Linked' }).waitFor();
    // The config long-poll brings the link to the agent, and My Device says so.
    await device.getByText('Linked to Ana Person (ana@example.com)').waitFor({ timeout: 30_000 });
    await screenshot(page, 'e2e-sso-2-linked');

    // 3. Months later Ana forgot her passphrase: the portal, on her phone, shows her the key.
    await web.getByRole('link', { name: 'Go to My devices' }).click();
    await web.getByRole('heading', { name: 'My devices' }).waitFor();
    await web.goto(`${rig.t.url}/my-device/hosts/${hostId}/reveal`);
    await web.getByRole('checkbox').check();
    await web.getByLabel('Why do you need the key?').selectOption('forgot_passphrase');
    await web.getByRole('button', { name: 'Show the recovery key' }).click();
    await web.locator('.key .g').first().waitFor();
    const usedKey = (await web.locator('.key .g').allTextContents()).join('-');
    expect(usedKey).toMatch(KEY_SHAPE);
    await web.close();

    // She types it at the boot prompt: it unlocks the disk.
    expect(opens(image.path, usedKey)).toBe(true);
    expect(opens(image.path, FORGOTTEN)).toBe(true);

    // 4. The agent learns the key was used; the desktop asks for a new passphrase.
    await waitForTray(desktop, 'action_needed');
    await page.locator('.notification', { hasText: 'Set a new disk passphrase' }).click();
    const dialog = frame(page, 'new-passphrase');
    await dialog.getByLabel('Recovery key you used at start-up').waitFor();
    // The form passes axe in light and dark, before anything is typed and with a mistake shown.
    for (const colorScheme of ['light', 'dark'] as const) {
      const alone = await newPage(browser, { colorScheme, viewport: { width: 600, height: 820 } });
      await alone.goto(desktop.windowUrl('new-passphrase'));
      await alone.getByLabel('Recovery key you used at start-up').waitFor();
      await expectNoAxeViolations(alone);
      await screenshot(alone, `desktop-new-passphrase-form-${colorScheme}`);
      await alone.getByLabel('Recovery key you used at start-up').fill('not a key');
      await alone.getByLabel('New passphrase', { exact: true }).fill('one');
      await alone.getByLabel('New passphrase again').fill('two');
      await alone.getByRole('button', { name: 'Set new passphrase' }).click();
      await alone.getByText('The two new passphrases are not the same.').waitFor();
      await expectNoAxeViolations(alone);
      await screenshot(alone, `desktop-new-passphrase-mismatch-${colorScheme}`);
      await alone.close();
    }
    await screenshot(page, 'e2e-sso-3-new-passphrase');
    // Typed the way people type it: capitals and spaces instead of dashes.
    await dialog
      .getByLabel('Recovery key you used at start-up')
      .fill(usedKey.toUpperCase().replaceAll('-', ' '));
    await dialog.getByLabel('New passphrase', { exact: true }).fill(NEW);
    await dialog.getByLabel('New passphrase again').fill(NEW);
    expect(await dialog.getByLabel('Remove the passphrase I forgot').isChecked()).toBe(true);
    await dialog.getByRole('button', { name: 'Set new passphrase' }).click();
    await dialog.getByRole('heading', { name: 'Your new passphrase is set' }).waitFor({ timeout: 60_000 });
    await dialog.getByText('The passphrase you forgot no longer unlocks the disk.').waitFor();
    await screenshot(page, 'e2e-sso-4-new-passphrase-done');
    await waitForTray(desktop, 'escrowed');

    // 5. The disk: the new passphrase opens it, the forgotten one and the used key do not.
    expect(opens(image.path, NEW)).toBe(true);
    expect(opens(image.path, FORGOTTEN)).toBe(false);
    expect(opens(image.path, usedKey)).toBe(false);
    // A new key is escrowed and verified: the admin reads it and it opens the disk.
    const read = await admin('GET', `/hosts/${hostId}/encryption_key?reason=e2e%20check`);
    const fresh = read.encryption_key.key as string;
    expect(fresh).toMatch(KEY_SHAPE);
    expect(fresh).not.toBe(usedKey);
    expect(opens(image.path, fresh)).toBe(true);
    await expect
      .poll(async () => (await admin('GET', `/hosts/${hostId}`)).host.recovery_key_used, { timeout: 15_000 })
      .toBeNull();

    // 6. The admin log shows every step.
    const activities = (await admin('GET', `/hosts/${hostId}/activities`)).activities as { type: string }[];
    const types = activities.map((a) => a.type);
    for (const t of [
      'linked_host',
      'self_service_read_disk_encryption_key',
      'key_verified',
      'read_host_disk_encryption_key',
    ]) {
      expect(types, t).toContain(t);
    }
    expect(types.filter((t) => t === 'key_escrowed')).toHaveLength(2); // the first key, then the fresh one

    // Every screen of the flow passes axe, in light and dark; no secret reached any log.
    for (const colorScheme of ['light', 'dark'] as const) {
      for (const kind of ['new-passphrase', 'my-device'] as const) {
        const alone = await newPage(browser, { colorScheme, viewport: { width: 640, height: 760 } });
        await alone.goto(desktop.windowUrl(kind));
        await alone.locator('main:not([aria-busy])').waitFor();
        await expectNoAxeViolations(alone);
        await screenshot(alone, `desktop-${kind}-${colorScheme}`);
        await alone.close();
      }
    }
    await page.close();
    const logs = rig.t.logs() + agentLogs.join('');
    for (const secret of [NEW, FORGOTTEN, usedKey, fresh]) expect(logs).not.toContain(secret);
  }, 360_000);
});
