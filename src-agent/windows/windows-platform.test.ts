import { beforeAll, describe, expect, it } from 'vitest';
import type { ConfigResponse } from '../../ipc/agent-server/orbit-api.js';
import { DeviceStatus, Volume } from '../../ipc/desktop-agent/device-status.js';
import type { EscrowKeyPair } from '../../node-lib/cms/index.js';
import { createLogger } from '../../node-lib/logger.js';
import type { PlatformEscrow } from '../platform-port.js';
import { serverConfig, wishes } from '../test-support/server-wishes.js';
import { SUSPENDED_MESSAGE } from './bitlocker-status.js';
import { BitLockerMachine } from './test-support/bitlocker-machine.js';
import { escrowKeys, KeyServer, tempStateDir } from './test-support/key-server.js';
import { createWindowsPlatform } from './windows-platform.js';

const log = createLogger('windows-platform-test', { level: 'silent' });
const C = '\\\\?\\Volume{5e1c2a8b-7d3f-4c1e-9a2b-3f4d5e6a7b8c}\\';

let pair: EscrowKeyPair;
beforeAll(async () => {
  pair = await escrowKeys();
});

function config(over: { enabled?: boolean; rotate?: boolean; version?: string } = {}): ConfigResponse {
  return {
    ...serverConfig({ enabled: over.enabled ?? true, rotate: over.rotate ?? false }),
    config_version: over.version ?? 'v1',
    escrow_certificate: pair.certificatePem,
  };
}

async function rig(fixture: string, stateDir?: string) {
  const machine = new BitLockerMachine(fixture);
  const server = new KeyServer(pair);
  let acks = 0;
  let changes = 0;
  const dir = stateDir ?? (await tempStateDir());
  const platform = createWindowsPlatform({
    shell: machine,
    stateDir: dir,
    sendKey: server.send,
    log,
    onKeyAcknowledged: () => acks++,
    onChange: () => changes++,
  });
  return { machine, server, platform, dir, acks: () => acks, changes: () => changes };
}

/** Let a check-in's background work (kick()) finish. */
async function settle(p: PlatformEscrow): Promise<void> {
  await p.close();
}

describe('Windows platform', () => {
  it('a clear volume: the config starts encryption and escrow; My Device shows it encrypting and escrowed', async () => {
    const r = await rig('read-state-clear.json');
    const cfg = config();
    await r.platform.onConfig(cfg, wishes(cfg));
    expect(r.server.keys).toHaveLength(1);
    expect(r.acks()).toBe(1);
    const s = await r.platform.state(wishes(cfg));
    const [row] = s.volumes;
    expect(Volume.parse(row)).toEqual(row);
    expect(row).toMatchObject({
      label: 'Windows (C:)',
      device: 'C:',
      encryption: 'bitlocker',
      encrypted: false,
      escrow: { state: 'escrowed', message: expect.stringMatching(/^Encrypting: 1%/) },
      bitlocker: { method: 'XTS-AES-256', conversion: 'EncryptionInProgress', percentEncrypted: 1 },
    });
    expect(s.action).toBeNull();
    const ours = r.machine.volume(C).KeyProtectors.find((p) => p.Type === 3)?.Id;
    expect(s.report).toEqual({
      platform: 'windows',
      boot_volume_encrypted: false,
      bitlocker: {
        conversion_status: 'EncryptionInProgress',
        protection_status: 0,
        escrowed_protector_id: ours,
      },
    });
    r.machine.finishEncryption(C);
    const done = await r.platform.state(wishes(cfg));
    expect(done.volumes[0]?.escrow.state).toBe('escrowed');
    expect(done.report.bitlocker).toEqual({
      conversion_status: 'FullyEncrypted',
      protection_status: 1,
      escrowed_protector_id: ours,
    });
  });

  it('protection suspended: "action required" with what to do, and no new key', async () => {
    const r = await rig('read-state-protection-off.json');
    const cfg = config();
    // The agent escrowed this volume's protector earlier.
    await r.platform.onConfig(cfg, wishes(cfg));
    const keys = r.server.keys.length;
    const s = await r.platform.state(wishes(cfg));
    expect(s.action).toEqual({ kind: 'bitlocker', message: SUSPENDED_MESSAGE });
    expect(s.volumes[0]?.escrow.state).toBe('action_required');
    await settle(r.platform);
    expect(r.server.keys.length).toBe(keys);
  });

  it('verification at check-in: a removed escrowed protector is re-escrowed without the user', async () => {
    const r = await rig('read-state-encrypted-by-other-tool.json');
    const cfg = config();
    await r.platform.onConfig(cfg, wishes(cfg));
    expect(r.server.keys).toHaveLength(1);
    // Someone runs `manage-bde -protectors -delete C: -type RecoveryPassword`.
    const v = r.machine.volume(C);
    v.KeyProtectors = v.KeyProtectors.filter((p) => p.Type !== 3);
    const seen = await r.platform.state(wishes(cfg));
    expect(seen.report.bitlocker?.escrowed_protector_id).toBeNull();
    expect(seen.volumes[0]?.escrow).toMatchObject({
      state: 'action_required',
      message: expect.stringMatching(/was removed from this drive/),
    });
    await settle(r.platform);
    expect(r.changes()).toBeGreaterThan(0);
    expect(r.server.keys).toHaveLength(2);
    const after = await r.platform.state(wishes(cfg));
    expect(after.volumes[0]?.escrow.state).toBe('escrowed');
    expect(after.action).toBeNull();
  });

  it('rotation asked by the server: a new password, the old one removed after the ack', async () => {
    const r = await rig('read-state-encrypted-by-other-tool.json');
    const first = config();
    await r.platform.onConfig(first, wishes(first));
    const oldId = r.machine.volume(C).KeyProtectors.find((p) => p.Type === 3)?.Id;
    const rotate = config({ rotate: true, version: 'v2' });
    await r.platform.onConfig(rotate, wishes(rotate));
    const ids = r.machine
      .volume(C)
      .KeyProtectors.filter((p) => p.Type === 3)
      .map((p) => p.Id);
    expect(ids).toHaveLength(1);
    expect(ids[0]).not.toBe(oldId);
    expect(r.server.latest()).toBe(r.machine.passwords.get(ids[0] as string));
    // Once acknowledged, the same config no longer asks (the service's newKeyRequested()).
    await r.platform.onConfig(rotate, wishes(rotate, 'v2'));
    expect(r.server.keys).toHaveLength(2);
  });

  it('no TPM: refused, reported once as client_error, shown as failed (IT’s to fix)', async () => {
    const r = await rig('read-state-no-tpm.json');
    const cfg = config();
    await r.platform.onConfig(cfg, wishes(cfg));
    await r.platform.onConfig(cfg, wishes(cfg));
    expect(r.server.errors).toEqual([expect.stringMatching(/No TPM was found/)]);
    const s = await r.platform.state(wishes(cfg));
    expect(s.volumes[0]?.escrow.state).toBe('failed');
    expect(s.report.client_error).toMatch(/No TPM/);
    expect(r.machine.ops()).not.toContain('add-recovery-password');
  });

  it('bootable media: the key is still escrowed, and the user gets a notice saying what to do', async () => {
    const r = await rig('read-state-clear.json');
    r.machine.failNext('encrypt', 'encrypt-bootable-media.json');
    const cfg = config();
    await r.platform.onConfig(cfg, wishes(cfg));
    expect(r.server.keys).toHaveLength(1);
    const s = await r.platform.state(wishes(cfg));
    expect(s.action).toEqual({ kind: 'bitlocker', message: expect.stringMatching(/remove it and restart/) });
  });

  it('Windows Server and encryption turned off for the team: nothing is touched', async () => {
    for (const [fixture, cfg] of [
      ['read-state-windows-server.json', config()],
      ['read-state-clear.json', config({ enabled: false })],
    ] as const) {
      const r = await rig(fixture);
      await r.platform.onConfig(cfg, wishes(cfg));
      expect(r.machine.ops().every((o) => o === 'read-state')).toBe(true);
      expect((await r.platform.state(wishes(cfg))).volumes[0]?.escrow.state).toBe('not_required');
    }
  });

  it('each fixed data drive is its own row; removable drives are not listed', async () => {
    const r = await rig('read-state-data-drive.json');
    const cfg = config();
    const s = await r.platform.state(wishes(cfg));
    expect(s.volumes.map((v) => [v.label, v.escrow.state])).toEqual([
      ['Windows (C:)', expect.any(String)],
      ['Data drive (D:)', 'not_required'],
    ]);
    const status = {
      agentVersion: '1',
      platform: 'win32',
      hostname: 'DESKTOP-1',
      server: { state: 'connected', url: 'https://x', lastContactAt: null },
      volumes: s.volumes,
      action: s.action,
      organization: null,
      updatedAt: new Date().toISOString(),
    };
    expect(() => DeviceStatus.parse(status)).not.toThrow();
  });

  it('a key queued while the server was away goes out at reconcile(), after an agent restart', async () => {
    const r = await rig('read-state-clear.json');
    r.server.reachable = false;
    const cfg = config();
    await r.platform.onConfig(cfg, wishes(cfg));
    const queued = await r.platform.state(wishes(cfg));
    expect(queued.pendingUpload).toBe(true);
    expect(queued.volumes[0]?.escrow.state).toBe('uploading');
    // A new agent process on the same machine and state directory.
    const again = createWindowsPlatform({
      shell: r.machine,
      stateDir: r.dir,
      sendKey: r.server.send,
      log,
      onKeyAcknowledged: () => {},
    });
    r.server.reachable = true;
    await again.reconcile();
    expect(r.server.keys).toHaveLength(1);
    expect((await again.state(wishes(cfg))).pendingUpload).toBe(false);
  });

  it('a step that keeps failing is retried after the hold-off or a new config, not at every look', async () => {
    const r = await rig('read-state-clear.json');
    for (let i = 0; i < 3; i++) r.machine.failNext('add-recovery-password', 'script-access-denied.json', 1);
    const cfg = config();
    await r.platform.onConfig(cfg, wishes(cfg));
    for (let i = 0; i < 3; i++) {
      await r.platform.state(wishes(cfg));
      await settle(r.platform);
    }
    const adds = () => r.machine.ops().filter((o) => o === 'add-recovery-password').length;
    expect(adds()).toBe(1);
    expect(r.server.errors).toEqual([expect.stringMatching(/LocalSystem/)]);
    const next = config({ version: 'v2' });
    await r.platform.onConfig(next, wishes(next));
    expect(adds()).toBe(2);
  });

  it('asks for no passphrase: createRecoveryKey is refused', async () => {
    const r = await rig('read-state-clear.json');
    await expect(r.platform.createRecoveryKey(Buffer.from('x'), wishes(config()), () => {})).rejects.toThrow(
      /automatically/,
    );
  });
});
