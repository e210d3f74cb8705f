import { chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../node-lib/logger.js';
import { DEFAULT_PREFS_PATH } from '../../src-agent/macos/escrow-buddy.js';
import { PrkEnvelopes, randomPrk } from '../../src-agent/macos/test-support/prk-envelopes.js';
import { type RunningAgent, startAgent } from '../../src-agent/start-agent.js';
import { loadEscrowKeys } from '../../src-server/escrow/key-files.js';
import { startWebDesktop, type WebDesktop } from '../../web-harness/web-desktop.js';
import {
  expectNoAxeViolations,
  launchChromium,
  newPage,
  openWindowPage,
  screenshot,
  waitForTray,
} from '../browser/test-support/browser.js';
import { eventually, TestServer } from './test-support/agent-harness.js';
import { envelopeFor, SimulatedMac, writePrkFile } from './test-support/macos-simulated-mac.js';

/**
 * macOS end to end on Linux: the real escrow server, the real agent forced to darwin (FileVault module,
 * PRK watcher on a temp directory standing in for /var/db, log-out deferrals), the real desktop core with
 * its UI in Chromium. Only the Mac's command-line tools are simulated, from recorded outputs.
 */
let root: string;
let server: TestServer;
let agent: RunningAgent | null = null;
let desktop: WebDesktop;
let browser: Browser;
let mac: SimulatedMac;
let prkPath: string;
let stateDir: string;
let foreign: PrkEnvelopes;
const agentLogs: string[] = [];
/** The person at the simulated Mac's screen owns its console; handing it to them needs root (CI is root). */
const asRoot = process.getuid?.() === 0;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'escrow-macos-e2e-'));
  server = await TestServer.create(root);
  await server.enableEncryption();
  const certificate = (await loadEscrowKeys(server.dataDir)).current.certificatePath;

  // /var/db and the Escrow Buddy bundle, in a temp dir.
  const varDb = path.join(root, 'var-db');
  await mkdir(varDb, { recursive: true });
  prkPath = path.join(varDb, 'FileVaultPRK.dat');
  const bundle = path.join(root, 'SecurityAgentPlugins', 'Escrow Buddy.bundle');
  await mkdir(bundle, { recursive: true });
  // The PRK on the disk was escrowed to a certificate the server does not hold (an old MDM profile).
  foreign = await PrkEnvelopes.create();
  await writePrkFile(prkPath, foreign.encrypt(randomPrk()));

  mac = new SimulatedMac(prkPath, certificate);
  const secretFile = path.join(root, 'enroll-secret');
  await writeFile(secretFile, `${server.enrollSecret}\n`, { mode: 0o600 });
  stateDir = path.join(root, 'state');
  const socketPath = path.join(root, 'run', 'agent.sock');
  const consolePath = path.join(root, 'console');
  await writeFile(consolePath, '');
  if (asRoot) await chown(consolePath, 65534, 0); // "nobody" is logged in at the screen
  agent = await startAgent({
    platform: 'darwin',
    consolePath,
    macos: {
      runner: mac,
      prkPath,
      escrowBuddyBundle: bundle,
      // Seconds instead of minutes: how long a just-sent PRK may wait for the server's verdict, and how
      // often an armed agent looks again. The server here verifies on arrival, so nothing is skipped.
      verifyGraceMs: 300,
      recheckMs: 200,
    },
    serverUrl: server.url,
    enrollSecretFile: secretFile,
    stateDir,
    socketPath,
    allowUsers: [],
    retry: { baseMs: 200, maxMs: 1000 },
    sessionsDir: path.join(root, 'sessions'),
    log: createLogger('escrow-agent', {
      level: 'debug',
      destination: { write: (line: string) => void agentLogs.push(line) },
    }),
  });
  desktop = await startWebDesktop({ socketPath, platform: 'darwin' });
  browser = await launchChromium();
});

afterAll(async () => {
  if (process.env.DEBUG_AGENT_LOGS) process.stderr.write(agentLogs.join(''));
  await browser?.close();
  await desktop?.close();
  await server?.stop();
  await agent?.stop();
  foreign?.cleanup();
  await rm(root, { recursive: true, force: true });
});

function windowFrame(page: Page, kind: string): FrameLocator {
  return page.frameLocator(`[data-window="${kind}"] iframe`);
}

async function hostJson(id: number) {
  return (await server.admin('GET', `/hosts/${id}`)).body.host;
}

describe('end to end on a simulated Mac: undecryptable PRK → log-out prompt → new PRK escrowed', () => {
  it('rotates the FileVault key through Escrow Buddy and the log-out prompt, and the server can read it', async () => {
    // The agent enrolls as a Mac (identity from ioreg) and sends the PRK already on the disk at once.
    const hostId = await eventually(async () => {
      const r = await server.admin('GET', '/hosts');
      return r.body.hosts[0]?.id as number | undefined;
    }, 'the Mac to enroll');
    const enrolled = await hostJson(hostId);
    expect(enrolled).toMatchObject({
      platform: 'darwin',
      uuid: '3F6C9A2E-8B1D-5E47-9C20-7A4D1B6E0F52',
      hardware_serial: 'C24X12JLMD',
      os_version: 'macOS 14.5',
    });
    const undecryptable = await eventually(async () => {
      const h = await hostJson(hostId);
      return h.disk_encryption_key?.decryptable === false ? h : null;
    }, 'the server to find the old PRK undecryptable');
    expect(undecryptable.mdm.os_settings.disk_encryption.status).toBe('failed');

    // The server asks for a new key: the agent repairs the login right and sets GenerateNewKey.
    await eventually(() => mac.flag() === true, 'GenerateNewKey to be set', 10_000);
    expect(mac.fixtures.commandLines()).toContain(
      '/usr/bin/security authorizationdb write system.login.console',
    );
    expect(mac.armCount()).toBe(1);

    // The desktop opens the log-out prompt by itself.
    await waitForTray(desktop, 'action_needed');
    await expect.poll(() => desktop.shellEvents.openWindows()).toEqual(['logout']);
    const page = await newPage(browser, { viewport: { width: 1400, height: 900 } });
    await page.goto(desktop.url);
    const prompt = windowFrame(page, 'logout');
    await prompt.getByText('You can postpone 3 more times.').waitFor();
    // No deadline from this server: the agent's default, 24 hours from the first prompt.
    await prompt.getByText(/Please log out by /).waitFor();
    const firstAction = agent?.service.currentStatus().action;
    expect(firstAction?.kind).toBe('macos_logout');
    if (firstAction?.kind !== 'macos_logout') throw new Error('no log-out action');
    const deadlineIn = Date.parse(firstAction.deadline ?? '') - Date.now();
    expect(deadlineIn).toBeGreaterThan(23.9 * 3600_000);
    expect(deadlineIn).toBeLessThanOrEqual(24 * 3600_000);
    await screenshot(page, 'macos-e2e-1-logout-prompt');
    for (const scheme of ['light', 'dark'] as const) {
      const alone = await openWindowPage(browser, desktop, 'logout', scheme);
      await alone.getByText('You can postpone 3 more times.').waitFor();
      await screenshot(alone, `macos-e2e-logout-prompt-${scheme}`);
      await expectNoAxeViolations(alone);
      await alone.close();
    }

    // "Later": one deferral used, the prompt goes away for an hour, counted by the agent on the disk.
    await prompt.getByRole('button', { name: 'Later' }).click();
    await expect.poll(() => desktop.shellEvents.openWindows()).toEqual([]);
    const deferred = agent?.service.currentStatus().action;
    expect(deferred).toMatchObject({
      kind: 'macos_logout',
      deferralsLeft: 2,
      deadline: firstAction.deadline,
    });
    if (deferred?.kind !== 'macos_logout') throw new Error('no log-out action');
    const repromptIn = Date.parse(deferred.nextPromptAt ?? '') - Date.now();
    expect(repromptIn).toBeGreaterThan(59 * 60_000);
    expect(repromptIn).toBeLessThanOrEqual(60 * 60_000);
    const saved = JSON.parse(await readFile(path.join(stateDir, 'logout-deferrals.json'), 'utf8'));
    expect(saved.used).toBe(1);
    // IT sees it too: the agent reported the postponed log-out and the person at the screen.
    const told = await eventually(async () => {
      const h = await hostJson(hostId);
      return h.logout_deferrals === 1 ? h : null;
    }, 'the server to hear of the postponed log-out');
    if (asRoot) expect(told.logged_in_user).toBe('nobody');

    // The user opens it again from the menu bar; it shows the count the agent keeps.
    expect(desktop.shellEvents.clickMenu('log-out')).toBe(true);
    await prompt.getByText('You can postpone 2 more times.').waitFor();
    expect(desktop.logoutRequests).toEqual([]); // nobody clicked "Log out now": no log-out

    // The user logs out and in: Escrow Buddy makes a new PRK; macOS writes it encrypted to the server's
    // certificate. The agent sends it, the server finds it decryptable and stops asking.
    const prk = randomPrk();
    expect(await mac.login(prk)).toBe(true);
    const escrowed = await eventually(() => server.escrowedKey(hostId), 'the new PRK on the server', 10_000);
    expect(escrowed).toBe(prk);
    const verified = await eventually(async () => {
      const h = await hostJson(hostId);
      return h.mdm.os_settings.disk_encryption.status === 'verified' ? h : null;
    }, 'the server to verify the key');
    expect(verified.disk_encryption_key).toMatchObject({
      escrowed: true,
      decryptable: true,
      client_error: '',
    });

    // The prompt disappears, the tray says the key is held, the flag stays down and no new one is asked for.
    await expect.poll(() => desktop.shellEvents.openWindows()).toEqual([]);
    await expect.poll(() => page.locator('[data-window="logout"]').count()).toBe(0);
    await waitForTray(desktop, 'escrowed');
    expect(mac.flag()).toBe(false);
    const read = await mac.run('/usr/bin/defaults', ['read', DEFAULT_PREFS_PATH, 'GenerateNewKey']);
    expect(read.stdout.trim()).toBe('0');
    await eventually(
      async () => (await stat(path.join(stateDir, 'logout-deferrals.json')).catch(() => null)) === null,
      'the finished request to forget its deferrals',
    );
    await new Promise((r) => setTimeout(r, 1000)); // several rechecks: none may re-arm
    expect(mac.armCount()).toBe(1);
    expect(mac.flag()).toBe(false);
    expect(agent?.service.currentStatus().action).toBeNull();
    expect(verified.reported_status).toMatchObject({
      platform: 'darwin',
      filevault: { enabled: true, has_personal_recovery_key: true },
    });
    // No log-out is asked for any more; the person stays known.
    await eventually(
      async () => (await hostJson(hostId)).logout_deferrals === null,
      'the deferrals to clear',
    );
    await screenshot(page, 'macos-e2e-2-escrowed');
    await page.close();

    // The PRK never reached a log, and the agent's state dir holds no copy of it or of its envelope.
    expect(server.logs.join('') + agentLogs.join('')).not.toContain(prk);
    for (const name of ['filevault-escrow.json', 'filevault-prk-sent.json']) {
      const text = await readFile(path.join(stateDir, name), 'utf8');
      expect(text).not.toContain(prk);
      expect(text).not.toContain(envelopeFor(prk, foreign.certPath).toString('base64').slice(0, 40));
    }
  });

  it("a login that makes no key is reported to the server with Escrow Buddy's reason, and asked for again", async () => {
    const hostId = await server.onlyHostId();
    const armed = mac.armCount();
    // An admin asks for a new key (e.g. after reading it).
    const r = await server.admin('POST', `/hosts/${hostId}/rotate_encryption_key`);
    expect(r.status).toBe(204);
    await eventually(() => mac.armCount() === armed + 1 && mac.flag() === true, 'the agent to arm again');
    await expect.poll(() => desktop.shellEvents.openWindows()).toEqual(['logout']);
    // A new request: a fresh count.
    expect(agent?.service.currentStatus().action).toMatchObject({ kind: 'macos_logout', deferralsLeft: 3 });

    // Smart-card login: no PRK, flag down anyway. The agent reads Escrow Buddy's log, tells the server, re-arms.
    expect(await mac.failedLogin()).toBe(true);
    const failed = await eventually(async () => {
      const h = await hostJson(hostId);
      return h.disk_encryption_key?.client_error ? h : null;
    }, 'the failure on the server');
    expect(failed.disk_encryption_key.client_error).toMatch(
      /^Escrow Buddy: fdesetup changerecovery failed \(exit 11\): .*User could not be authenticated/,
    );
    expect(failed.mdm.os_settings.disk_encryption.status).toBe('failed');
    await eventually(() => mac.armCount() === armed + 2 && mac.flag() === true, 'the agent to re-arm');
    expect(desktop.shellEvents.openWindows()).toEqual(['logout']); // still asking to log out
    expect(agent?.service.currentStatus().action?.kind).toBe('macos_logout');

    // The next login with the password works: key escrowed, error cleared, prompt gone, no more arming.
    const prk = randomPrk();
    expect(await mac.login(prk)).toBe(true);
    await eventually(async () => (await server.escrowedKey(hostId)) === prk, 'the new PRK', 10_000);
    await expect.poll(() => desktop.shellEvents.openWindows()).toEqual([]);
    const h = await hostJson(hostId);
    expect(h.disk_encryption_key).toMatchObject({ client_error: '', decryptable: true });
    await new Promise((r) => setTimeout(r, 1000));
    expect(mac.armCount()).toBe(armed + 2);
    expect(mac.flag()).toBe(false);
  });
});
