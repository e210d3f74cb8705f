import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EscrowKeyPair } from '../../node-lib/cms/index.js';
import { createLogger } from '../../node-lib/logger.js';
import { readSnapshot } from './bitlocker-adapter.js';
import {
  BITLOCKER_CRASH_POINTS,
  type BitLockerCrashPoint,
  beginEscrow,
  continueEscrow,
  type EscrowSteps,
} from './bitlocker-escrow.js';
import { BitLockerJournal, EscrowedProtectors } from './bitlocker-journal.js';
import { recoveryPasswordIds } from './bitlocker-snapshot.js';
import { BitLockerMachine } from './test-support/bitlocker-machine.js';
import { escrowKeys, KeyServer, tempStateDir } from './test-support/key-server.js';

const log = createLogger('bitlocker-escrow-test', { level: 'silent' });
const C = '\\\\?\\Volume{5e1c2a8b-7d3f-4c1e-9a2b-3f4d5e6a7b8c}\\';
const FOREIGN = '{C3A1F2E4-5B6D-4A7E-9F80-1B2C3D4E5F6A}';

class Crash extends Error {}

let pair: EscrowKeyPair;
beforeAll(async () => {
  pair = await escrowKeys();
});

function steps(
  machine: BitLockerMachine,
  server: KeyServer,
  stateDir: string,
  crashAt?: BitLockerCrashPoint,
) {
  const acks: number[] = [];
  const s: EscrowSteps = {
    shell: machine,
    journal: new BitLockerJournal(stateDir),
    escrowed: new EscrowedProtectors(stateDir),
    sendKey: (envelope) => server.send({ base64_encrypted: envelope, client_error: '' }),
    onKeyAcknowledged: () => acks.push(1),
    log,
    now: () => new Date('2026-12-08T01:00:00.000Z'),
    fault: (p) => {
      if (p === crashAt) throw new Crash(p);
    },
  };
  return { s, acks };
}

async function osVolume(m: BitLockerMachine) {
  const v = (await readSnapshot(m)).volumes.find((x) => x.kind === 'os');
  if (!v) throw new Error('no OS volume');
  return v;
}

/** A fresh agent (nothing in memory) finishes what the journal says, as startup reconciliation does. */
async function restart(machine: BitLockerMachine, server: KeyServer, stateDir: string) {
  const { s } = steps(machine, server, stateDir);
  const entry = await s.journal.read(C);
  if (entry) await continueEscrow(s, entry);
}

describe('a clear OS volume', () => {
  it('gets a generated recovery password and a TPM protector, is encrypted XTS-AES-256 used-space, and the server gets the password', async () => {
    const m = new BitLockerMachine('read-state-clear.json');
    const server = new KeyServer(pair);
    const dir = await tempStateDir();
    const { s, acks } = steps(m, server, dir);
    expect(await beginEscrow(s, await osVolume(m), 'encrypt', pair.certificatePem)).toBe('escrowed');
    expect(m.ops().filter((o) => o !== 'read-state')).toEqual([
      'prepare-volume',
      'add-recovery-password',
      'read-recovery-password',
      'add-tpm-protector',
      'encrypt',
    ]);
    expect(m.calls.find((c) => c.op === 'encrypt')?.params).toMatchObject({ method: 7, flags: 1 });
    const [pid] = recoveryPasswordIds(await osVolume(m));
    expect(server.keys).toEqual([m.passwords.get(pid as string)]);
    expect(acks).toHaveLength(1);
    expect(await s.escrowed.read(C)).toMatchObject({ protector_id: pid });
    expect(await readdir(join(dir, 'bitlocker-journal'))).toEqual([]);
  });

  it('the journal never holds the password in clear', async () => {
    const m = new BitLockerMachine('read-state-clear.json');
    const server = new KeyServer(pair);
    server.reachable = false;
    const dir = await tempStateDir();
    const { s } = steps(m, server, dir);
    expect(await beginEscrow(s, await osVolume(m), 'encrypt', pair.certificatePem)).toBe('queued');
    const entry = await s.journal.read(C);
    expect(entry?.state).toBe('password_added');
    expect(JSON.stringify(entry)).not.toMatch(/\d{6}-\d{6}/);
    // Encryption did not wait for the server: the password is journaled (to the server) and on the volume.
    expect((await osVolume(m)).conversion).toBe('EncryptionInProgress');
    server.reachable = true;
    await restart(m, server, dir);
    expect(server.keys).toHaveLength(1);
    expect(await s.journal.read(C)).toBeNull();
  });
});

describe('a volume encrypted by another tool', () => {
  it('is never decrypted; the old recovery password goes only after the server acknowledged the new one', async () => {
    const m = new BitLockerMachine('read-state-encrypted-by-other-tool.json');
    const server = new KeyServer(pair);
    server.reachable = false;
    const dir = await tempStateDir();
    const { s } = steps(m, server, dir);
    expect(await beginEscrow(s, await osVolume(m), 'replace', pair.certificatePem)).toBe('queued');
    let ids = recoveryPasswordIds(await osVolume(m));
    expect(ids).toContain(FOREIGN); // still there: the new one is not acknowledged
    expect(ids).toHaveLength(2);
    expect(m.ops()).not.toContain('encrypt');
    expect(m.ops()).not.toContain('delete-protector');

    server.reachable = true;
    await restart(m, server, dir);
    ids = recoveryPasswordIds(await osVolume(m));
    expect(ids).not.toContain(FOREIGN);
    expect(ids).toHaveLength(1);
    expect(server.keys).toEqual([m.passwords.get(ids[0] as string)]);
    expect((await osVolume(m)).conversion).toBe('FullyEncrypted');
  });

  it('encryption that cannot start does not hold back the upload, and the error surfaces afterwards', async () => {
    const m = new BitLockerMachine('read-state-clear.json').failNext(
      'encrypt',
      'encrypt-bootable-media.json',
    );
    const server = new KeyServer(pair);
    const { s } = steps(m, server, await tempStateDir());
    await expect(beginEscrow(s, await osVolume(m), 'encrypt', pair.certificatePem)).rejects.toThrow(
      /bootable/,
    );
    expect(server.keys).toHaveLength(1);
    expect(await s.escrowed.read(C)).not.toBeNull();
  });
});

describe('fault injection: killed at every step, a restart leaves no un-escrowed recovery password', () => {
  const cases = BITLOCKER_CRASH_POINTS.flatMap((point) =>
    (['read-state-clear.json', 'read-state-encrypted-by-other-tool.json'] as const).map(
      (f) => [point, f] as const,
    ),
  ).filter(
    ([point, f]) => !(f.includes('other') && ['prepared', 'tpm_added', 'encryption_started'].includes(point)),
  );

  it.each(cases)('killed at %s (%s)', async (point, start) => {
    const m = new BitLockerMachine(start);
    const server = new KeyServer(pair);
    const dir = await tempStateDir();
    const kind = start.includes('clear') ? 'encrypt' : 'replace';
    const { s } = steps(m, server, dir, point);
    await expect(beginEscrow(s, await osVolume(m), kind, pair.certificatePem)).rejects.toBeInstanceOf(Crash);

    // At the moment of the crash: every recovery password we added is named by the journal or findable
    // from it (pending: "not there before"), so none can be forgotten.
    const entry = await s.journal.read(C);
    const before = new Set(entry?.protectors_before ?? []);
    const added = recoveryPasswordIds(await osVolume(m)).filter((id) => !before.has(id));
    if (!entry) expect(added).toEqual([]);

    await restart(m, server, dir);
    const ids = recoveryPasswordIds(await osVolume(m));
    // Exactly one recovery password is left, the server holds it, and the agent knows it is the escrowed one.
    expect(ids).toHaveLength(1);
    expect(server.latest()).toBe(m.passwords.get(ids[0] as string));
    expect((await s.escrowed.read(C))?.protector_id).toBe(ids[0]);
    expect(await s.journal.read(C)).toBeNull();
    if (kind === 'encrypt') expect((await osVolume(m)).conversion).toBe('EncryptionInProgress');
    expect((await osVolume(m)).protectors.some((p) => p.type === 1)).toBe(true);
  });
});
