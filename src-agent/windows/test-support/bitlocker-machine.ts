import { readFileSync } from 'node:fs';
import type { BitLockerOp } from '../bitlocker-scripts.js';
import type { BitLockerShell, ShellParams, ShellResult } from '../bitlocker-shell.js';
import type { RawSnapshot } from '../bitlocker-snapshot.js';

/**
 * Test double for the BitLocker shell port: a Windows machine whose state starts from a recorded
 * `read-state` output (fixtures/) and changes as the agent's calls would change it, answering each method
 * with its recorded answer. An operation with a queued failure answers that instead (and changes nothing).
 * It survives a simulated agent crash: the tests start a fresh agent on the same machine.
 */

const FIXTURES = new URL('../fixtures/', import.meta.url);
type Raw = import('zod').infer<typeof RawSnapshot>;

export function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

/** The password in read-recovery-password-ok.json, and a second one for a second protector. */
export const PASSWORDS = [
  '236962-154297-450780-347809-122408-590601-395703-689590',
  '591635-028402-713020-101123-465069-299585-062216-307417',
  '102432-220176-330011-440011-550011-660011-000011-110011',
] as const;

export interface Call {
  op: BitLockerOp;
  params: ShellParams;
}

export class BitLockerMachine implements BitLockerShell {
  state: Raw;
  readonly calls: Call[] = [];
  /** protector ID → the password Windows generated for it. */
  readonly passwords = new Map<string, string>();
  private readonly failures = new Map<BitLockerOp, { code: number; stdout: string }[]>();
  private nextId = 1;

  constructor(readStateFixture: string) {
    this.state = JSON.parse(fixture(readStateFixture)) as Raw;
    // Recovery passwords already on the recorded volumes have passwords too (Windows can always read them).
    for (const v of this.state.Volumes)
      for (const p of v.KeyProtectors)
        if (p.Type === 3)
          this.passwords.set(p.Id, PASSWORDS[this.passwords.size % PASSWORDS.length] as string);
  }

  /** The next `op` fails with this recorded output (a method's non-zero ReturnValue or a script failure). */
  failNext(op: BitLockerOp, fixtureName: string, code = 0): this {
    const q = this.failures.get(op) ?? [];
    q.push({ code, stdout: fixture(fixtureName) });
    this.failures.set(op, q);
    return this;
  }

  ops(): string[] {
    return this.calls.map((c) => c.op);
  }

  volume(deviceId: string): Raw['Volumes'][number] {
    const v = this.state.Volumes.find((x) => x.DeviceID === deviceId);
    if (!v) throw new Error(`no volume ${deviceId}`);
    return v;
  }

  async run(op: BitLockerOp, params: ShellParams = {}): Promise<ShellResult> {
    this.calls.push({ op, params });
    const failure = this.failures.get(op)?.shift();
    if (failure) return { code: failure.code, stdout: Buffer.from(failure.stdout), stderr: '' };
    const ok = (o: object): ShellResult => ({ code: 0, stdout: Buffer.from(JSON.stringify(o)), stderr: '' });
    const dev = String(params.deviceId ?? '');
    switch (op) {
      case 'read-state':
        return ok(this.state);
      case 'prepare-volume':
        this.volume(dev).IsVolumeInitializedForProtection = true;
        return ok(JSON.parse(fixture('method-ok.json')));
      case 'add-recovery-password': {
        const id = this.newId();
        this.volume(dev).KeyProtectors.push({ Id: id, Type: 3 });
        this.passwords.set(id, PASSWORDS[this.passwords.size % PASSWORDS.length] as string);
        return ok({ ...JSON.parse(fixture('add-recovery-password-ok.json')), VolumeKeyProtectorID: id });
      }
      case 'read-recovery-password': {
        const pw = this.passwords.get(String(params.protectorId));
        if (!pw || !this.volume(dev).KeyProtectors.some((p) => p.Id === params.protectorId))
          return ok({ ReturnValue: 0x80070057, NumericalPassword: '' }); // E_INVALIDARG
        return ok({ ...JSON.parse(fixture('read-recovery-password-ok.json')), NumericalPassword: pw });
      }
      case 'add-tpm-protector': {
        const v = this.volume(dev);
        if (v.KeyProtectors.some((p) => p.Type === 1))
          return ok(JSON.parse(fixture('add-tpm-protector-exists.json')));
        const id = this.newId();
        v.KeyProtectors.push({ Id: id, Type: 1 });
        return ok({ ...JSON.parse(fixture('add-tpm-protector-ok.json')), VolumeKeyProtectorID: id });
      }
      case 'encrypt': {
        const v = this.volume(dev);
        v.ConversionStatus = 2;
        v.EncryptionPercentage = 1;
        v.EncryptionMethod = Number(params.method);
        return ok(JSON.parse(fixture('method-ok.json')));
      }
      case 'delete-protector': {
        const v = this.volume(dev);
        v.KeyProtectors = v.KeyProtectors.filter((p) => p.Id !== params.protectorId);
        return ok(JSON.parse(fixture('method-ok.json')));
      }
      case 'host-identity':
        return ok({
          UUID: '4C4C4544-0042-3510-8052-B7C04F4E3432',
          SerialNumber: 'PF3XK2QZ',
          Caption: 'Microsoft Windows 11 Pro',
          Version: '10.0.22631',
        });
    }
  }

  /** Windows finished the conversion (the tests' stand-in for time passing). */
  finishEncryption(deviceId: string): void {
    const v = this.volume(deviceId);
    v.ConversionStatus = 1;
    v.EncryptionPercentage = 100;
    v.ProtectionStatus = 1;
  }

  private newId(): string {
    const n = (this.nextId++).toString(16).toUpperCase().padStart(12, '0');
    return `{A0A0A0A0-0000-4000-8000-${n}}`;
  }
}
