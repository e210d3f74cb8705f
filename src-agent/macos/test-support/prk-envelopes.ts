import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EscrowKeyPair } from '../../../node-lib/cms/index.js';
import { createEscrowCertificate } from '../../../node-lib/cms/index.js';

const PRK_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A fresh PRK in macOS's shape: six dash-separated groups of four. */
export function randomPrk(): string {
  const group = () => Array.from({ length: 4 }, () => PRK_ALPHABET[randomInt(PRK_ALPHABET.length)]).join('');
  return Array.from({ length: 6 }, group).join('-');
}

/**
 * Makes FileVaultPRK.dat-like files the way macOS does: `openssl cms -encrypt` (RSA PKCS#1 v1.5 key
 * transport, openssl's default) to the escrow certificate, DER. The PRK goes in on stdin, never argv.
 */
export class PrkEnvelopes {
  private readonly dir = mkdtempSync(join(tmpdir(), 'escrow-prk-cert-'));
  readonly certPath = join(this.dir, 'cert.pem');

  private constructor(readonly keys: EscrowKeyPair) {
    writeFileSync(this.certPath, keys.certificatePem);
  }

  static async create(): Promise<PrkEnvelopes> {
    return new PrkEnvelopes(await createEscrowCertificate({ commonName: 'macOS module test escrow' }));
  }

  encrypt(prk: string): Buffer {
    return execFileSync(
      'openssl',
      ['cms', '-encrypt', '-binary', '-outform', 'DER', '-recip', this.certPath],
      {
        input: Buffer.from(prk, 'ascii'),
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
