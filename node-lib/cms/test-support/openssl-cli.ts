import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EscrowKeyPair } from '../escrow-certificate.js';

/**
 * The real openssl 3 CLI, for interop tests only: a tool we did not write produces and consumes envelopes.
 * Plaintexts go through stdin/stdout, never argv; files live in a private temp dir removed by `cleanup`.
 */
export class OpenSslCms {
  readonly dir = mkdtempSync(join(tmpdir(), 'escrow-cms-'));
  private counter = 0;

  /** Writes the key pair to files and returns their paths. */
  writeKeyPair(pair: EscrowKeyPair): { cert: string; key: string } {
    const id = this.counter++;
    const cert = join(this.dir, `cert-${id}.pem`);
    const key = join(this.dir, `key-${id}.pem`);
    writeFileSync(cert, pair.certificatePem);
    writeFileSync(key, pair.privateKeyPem, { mode: 0o600 });
    return { cert, key };
  }

  /**
   * `openssl cms -encrypt` to the certificate. `options` go before `-recip` (cipher, -keyid); `recipientOptions`
   * after it, where openssl wants per-recipient `-keyopt`s.
   */
  encrypt(
    plaintext: Uint8Array,
    certPath: string,
    options: readonly string[] = [],
    recipientOptions: readonly string[] = [],
  ): Buffer {
    return this.cms(
      ['-encrypt', '-binary', '-outform', 'DER', ...options, '-recip', certPath, ...recipientOptions],
      plaintext,
    );
  }

  /** Any `openssl cms` invocation fed `input` on stdin; returns stdout. */
  cms(args: readonly string[], input: Uint8Array): Buffer {
    return execFileSync('openssl', ['cms', ...args], { input, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  decrypt(envelope: Uint8Array, pair: { cert: string; key: string }): Buffer {
    const file = join(this.dir, `envelope-${this.counter++}.der`);
    writeFileSync(file, envelope);
    return execFileSync(
      'openssl',
      ['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', file, '-recip', pair.cert, '-inkey', pair.key],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
  }

  /** `openssl asn1parse` dump, to assert on the structure we emit. */
  asn1parse(der: Uint8Array): string {
    const file = join(this.dir, `parse-${this.counter++}.der`);
    writeFileSync(file, der);
    return execFileSync('openssl', ['asn1parse', '-inform', 'DER', '-in', file, '-i'], { encoding: 'utf8' });
  }

  /** `openssl x509 -text` of a PEM certificate. */
  certificateText(certificatePem: string): string {
    return execFileSync('openssl', ['x509', '-noout', '-text'], { input: certificatePem, encoding: 'utf8' });
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
