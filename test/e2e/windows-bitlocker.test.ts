import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../node-lib/logger.js';
import { type RunningAgent, startAgent } from '../../src-agent/start-agent.js';
import { SUSPENDED_MESSAGE } from '../../src-agent/windows/bitlocker-status.js';
import { BitLockerMachine } from '../../src-agent/windows/test-support/bitlocker-machine.js';
import { startWebDesktop, type WebDesktop } from '../../web-harness/web-desktop.js';
import {
  expectNoAxeViolations,
  launchChromium,
  openWindowPage,
  screenshot,
  waitForTray,
} from '../browser/test-support/browser.js';
import { eventually, TestServer } from './test-support/agent-harness.js';

/**
 * Windows end to end on Linux: the real escrow server, the real agent forced to win32 (BitLocker module,
 * journal, escrow service), the real desktop core with its UI in Chromium. Only BitLocker itself is the
 * test double (src-agent/windows/test-support/bitlocker-machine.ts), answering in the recorded shapes.
 */
const C = '\\\\?\\Volume{5e1c2a8b-7d3f-4c1e-9a2b-3f4d5e6a7b8c}\\';
const FOREIGN = '{C3A1F2E4-5B6D-4A7E-9F80-1B2C3D4E5F6A}';
let root: string;
let server: TestServer;
let agent: RunningAgent | null = null;
let desktop: WebDesktop;
let browser: Browser;
let machine: BitLockerMachine;
const agentLogs: string[] = [];

const recoveryPasswords = () =>
  machine
    .volume(C)
    .KeyProtectors.filter((p) => p.Type === 3)
    .map((p) => p.Id);

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'escrow-windows-e2e-'));
  server = await TestServer.create(root);
  await server.enableEncryption();
  // A laptop encrypted before enrollment, by another tool: its recovery password is not ours.
  machine = new BitLockerMachine('read-state-encrypted-by-other-tool.json');
  const secretFile = path.join(root, 'enroll-secret');
  await writeFile(secretFile, `${server.enrollSecret}\n`, { mode: 0o600 });
  const socketPath = path.join(root, 'run', 'agent.sock');
  agent = await startAgent({
    platform: 'win32',
    windows: { shell: machine, recheckMs: 200 },
    serverUrl: server.url,
    enrollSecretFile: secretFile,
    stateDir: path.join(root, 'state'),
    socketPath,
    allowUsers: [],
    retry: { baseMs: 200, maxMs: 1000 },
    sessionsDir: path.join(root, 'sessions'),
    log: createLogger('escrow-agent', {
      level: 'debug',
      destination: { write: (line: string) => void agentLogs.push(line) },
    }),
  });
  desktop = await startWebDesktop({ socketPath, platform: 'win32' });
  browser = await launchChromium();
});

afterAll(async () => {
  if (process.env.DEBUG_AGENT_LOGS) process.stderr.write(agentLogs.join(''));
  await browser?.close();
  await desktop?.close();
  await server?.stop();
  await agent?.stop();
  await rm(root, { recursive: true, force: true });
});

async function hostJson(id: number) {
  return (await server.admin('GET', `/hosts/${id}`)).body.host;
}

describe('end to end on a simulated Windows laptop', () => {
  it('escrows BitLocker’s recovery password silently, shows "action required" when protection is off, rotates on request', async () => {
    const hostId = await eventually(async () => {
      const r = await server.admin('GET', '/hosts');
      return r.body.hosts[0]?.id as number | undefined;
    }, 'the laptop to enroll');
    expect(await hostJson(hostId)).toMatchObject({
      platform: 'windows',
      uuid: '4C4C4544-0042-3510-8052-B7C04F4E3432',
      hardware_serial: 'PF3XK2QZ',
    });

    // Already encrypted by someone else: never decrypted; a new recovery password is added and escrowed,
    // and the foreign one goes once the server has acknowledged ours.
    const first = await eventually(
      async () => {
        const ids = recoveryPasswords();
        return ids.length === 1 && ids[0] !== FOREIGN ? ids[0] : undefined;
      },
      'the foreign recovery password to be replaced',
      15_000,
    );
    expect(machine.ops()).not.toContain('encrypt');
    const escrowed = await eventually(() => server.escrowedKey(hostId), 'the key on the server');
    // The admin reads back the 48 digits that unlock the drive.
    expect(escrowed).toBe(machine.passwords.get(first));
    expect(escrowed).toMatch(/^\d{6}(-\d{6}){7}$/);
    await eventually(async () => {
      const h = await hostJson(hostId);
      return h.mdm.os_settings.disk_encryption.status === 'verified' ? h : null;
    }, 'the server to verify the key');
    await waitForTray(desktop, 'escrowed');
    // The host's report pairs the key with its protector: the ID the BitLocker recovery screen shows.
    await eventually(async () => {
      const h = await hostJson(hostId);
      return h.reported_status?.bitlocker?.escrowed_protector_id === first ? h : null;
    }, 'the report to name the escrowed protector');

    // Protection suspended (a firmware update): the desktop says what to do, no new key is made.
    machine.volume(C).ProtectionStatus = 0;
    await waitForTray(desktop, 'action_needed');
    await expect
      .poll(() => desktop.shellEvents.snapshot().notifications.map((n) => n.body))
      .toContain(SUSPENDED_MESSAGE);
    for (const scheme of ['light', 'dark'] as const) {
      const page = await openWindowPage(browser, desktop, 'my-device', scheme);
      await page
        .getByText(/Restart the computer to turn it back on/)
        .first()
        .waitFor();
      await page.getByText('XTS-AES-128').waitFor(); // the other tool's method, kept
      await page.getByText('Off — the drive can be read without unlocking').waitFor();
      await page.getByText(/Follow “What to do” above/).waitFor();
      await screenshot(page, `windows-e2e-protection-off-${scheme}`);
      await expectNoAxeViolations(page);
      await page.close();
    }
    expect(recoveryPasswords()).toEqual([first]);
    machine.volume(C).ProtectionStatus = 1;
    await waitForTray(desktop, 'escrowed');

    // The admin rotates the key: a new password is escrowed and the old one removed only after the ack.
    const rotate = await server.admin('POST', `/hosts/${hostId}/rotate_encryption_key`, {});
    expect(rotate.status).toBeLessThan(300);
    const second = await eventually(
      async () => {
        const ids = recoveryPasswords();
        return ids.length === 1 && ids[0] !== first ? ids[0] : undefined;
      },
      'the rotation',
      15_000,
    );
    const rotated = await eventually(async () => {
      const k = await server.escrowedKey(hostId);
      return k && k !== escrowed ? k : null;
    }, 'the rotated key on the server');
    expect(rotated).toBe(machine.passwords.get(second));
    // The delete came after the upload: the old password was still on the volume when the server had the new.
    const ops = machine.ops();
    expect(ops.lastIndexOf('delete-protector')).toBeGreaterThan(ops.lastIndexOf('read-recovery-password'));
    await waitForTray(desktop, 'escrowed');
  });
});
