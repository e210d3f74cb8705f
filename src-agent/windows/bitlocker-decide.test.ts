import { describe, expect, it } from 'vitest';
import { serverConfig, wishes } from '../test-support/server-wishes.js';
import { type DecideInput, decide } from './bitlocker-decide.js';
import { encryptionPlan } from './bitlocker-errors.js';
import type { EscrowedProtector } from './bitlocker-journal.js';
import { parseSnapshot } from './bitlocker-snapshot.js';
import { fixture } from './test-support/bitlocker-machine.js';

const OURS = '{6D7E8F90-1A2B-4C3D-8E4F-5A6B7C8D9E0F}';
const C = '\\\\?\\Volume{5e1c2a8b-7d3f-4c1e-9a2b-3f4d5e6a7b8c}\\';
const record = (protector = OURS): EscrowedProtector => ({
  device_id: C,
  protector_id: protector,
  escrowed_at: '2026-12-01T10:00:00.000Z',
});

function input(name: string, over: Partial<DecideInput> = {}): DecideInput {
  const snapshot = parseSnapshot(fixture(name));
  const volume = snapshot.volumes[0];
  if (!volume) throw new Error('fixture without volumes');
  return { snapshot, volume, escrowed: null, journal: null, server: wishes(serverConfig()), ...over };
}

describe('parseSnapshot (recorded read-state outputs)', () => {
  it('reads a clear OS volume on Windows 11 with a ready TPM', () => {
    const s = parseSnapshot(fixture('read-state-clear.json'));
    expect(s.os).toEqual({ workstation: true, caption: 'Microsoft Windows 11 Pro', version: '10.0.22631' });
    expect(s.tpm).toEqual({ present: true, ready: true });
    expect(s.volumes).toEqual([
      expect.objectContaining({
        driveLetter: 'C:',
        kind: 'os',
        conversion: 'FullyDecrypted',
        protection: 'off',
        protectors: [],
        initialized: false,
      }),
    ]);
  });

  it('reads conversion percentage, method and protectors of an encrypting volume', () => {
    const v = parseSnapshot(fixture('read-state-encrypting.json')).volumes[0];
    expect(v).toMatchObject({ conversion: 'EncryptionInProgress', percentEncrypted: 37, method: 7 });
    expect(v?.protectors.map((p) => p.type).sort()).toEqual([1, 3]);
  });

  it('reads a data drive and a removable drive as their kinds', () => {
    const kinds = parseSnapshot(fixture('read-state-data-drive.json')).volumes.map((v) => v.kind);
    expect(kinds).toEqual(['os', 'fixed', 'removable']);
  });

  it('refuses an output that is not the script’s shape', () => {
    expect(() => parseSnapshot('{"OS":{}}')).toThrow();
    const bad = JSON.parse(fixture('read-state-clear.json'));
    bad.Volumes[0].DeviceID = 'C:\\; rm';
    expect(() => parseSnapshot(JSON.stringify(bad))).toThrow(/not a volume device ID/);
  });
});

describe('decide', () => {
  it('clear OS volume with a TPM → encrypt', () => {
    expect(decide(input('read-state-clear.json'))).toEqual({ do: 'encrypt' });
  });

  it('Windows Server is skipped', () => {
    expect(decide(input('read-state-windows-server.json'))).toEqual({ do: 'nothing', why: 'server_os' });
  });

  it('a volume mid-conversion is left alone', () => {
    expect(decide(input('read-state-encrypting.json'))).toEqual({ do: 'nothing', why: 'converting' });
  });

  it('encrypted by another tool → replace (never decrypt)', () => {
    expect(decide(input('read-state-encrypted-by-other-tool.json'))).toEqual({
      do: 'replace',
      reason: 'not_escrowed',
    });
  });

  it('our escrowed protector present → nothing; rotation requested → replace', () => {
    const i = input('read-state-encrypted.json', { escrowed: record() });
    expect(decide(i)).toEqual({ do: 'nothing', why: 'escrowed' });
    const rotate = wishes(serverConfig({ rotate: true }));
    expect(decide({ ...i, server: rotate })).toEqual({ do: 'replace', reason: 'rotation_requested' });
  });

  it('the escrowed protector is gone from the volume → replace as protector_removed', () => {
    const i = input('read-state-encrypted-by-other-tool.json', { escrowed: record() });
    expect(decide(i)).toEqual({ do: 'replace', reason: 'protector_removed' });
  });

  it('no TPM → refused with words, as IT’s problem', () => {
    const d = decide(input('read-state-no-tpm.json'));
    expect(d).toMatchObject({ do: 'refuse', userCanFix: false });
    expect(d.do === 'refuse' && d.message).toMatch(/No TPM was found/);
  });

  it('a Group Policy that forbids recovery passwords → refused, naming the setting', () => {
    const d = decide(input('read-state-policy-conflict.json'));
    expect(d.do === 'refuse' && d.message).toMatch(/OSRecoveryPassword = 0/);
  });

  it('encryption off for the team → nothing; an open journal entry is finished first', () => {
    expect(
      decide(input('read-state-clear.json', { server: wishes(serverConfig({ enabled: false })) })),
    ).toEqual({ do: 'nothing', why: 'no_policy' });
  });

  it('data drives are not escrowed (Fleet escrows the OS volume only)', () => {
    const snapshot = parseSnapshot(fixture('read-state-data-drive.json'));
    const d = snapshot.volumes[1];
    if (!d) throw new Error('no data drive');
    expect(decide({ ...input('read-state-data-drive.json'), volume: d })).toEqual({
      do: 'nothing',
      why: 'not_managed',
    });
  });
});

describe('encryptionPlan (Group Policy)', () => {
  const snap = (policy: Record<string, number>) => {
    const s = parseSnapshot(fixture('read-state-clear.json'));
    return { ...s, policy };
  };
  const os = parseSnapshot(fixture('read-state-clear.json')).volumes[0];
  if (!os) throw new Error('no volume');

  it('defaults to XTS-AES-256, used space only', () => {
    expect(encryptionPlan(snap({}), os)).toEqual({ plan: { method: 7, flags: 1 } });
  });

  it('follows a method and full-disk encryption that policy requires', () => {
    expect(encryptionPlan(snap({ EncryptionMethodWithXtsOs: 6, OSEncryptionType: 1 }), os)).toEqual({
      plan: { method: 6, flags: 0 },
    });
  });

  it('refuses when policy forbids TPM-only startup', () => {
    const r = encryptionPlan(snap({ UseAdvancedStartup: 1, UseTPM: 0 }), os);
    expect('conflict' in r && r.conflict).toMatch(/UseTPM = 0/);
  });
});
