import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEscrowCertificate, decryptEnvelope, type EscrowKeyPair } from '../../../node-lib/cms/index.js';
import { ServerUnavailableError } from '../../platform-port.js';

let keys: Promise<EscrowKeyPair> | null = null;
/** One escrow certificate for the whole test file (RSA key generation is slow). */
export const escrowKeys = (): Promise<EscrowKeyPair> => {
  keys ??= createEscrowCertificate();
  return keys;
};

/**
 * The server's side of `disk_encryption_key` for unit tests: it decrypts what it receives (as the real
 * server's arrival check does) so a test can compare the escrowed password with the protector's.
 */
export class KeyServer {
  reachable = true;
  readonly keys: string[] = [];
  readonly errors: string[] = [];

  constructor(private readonly pair: EscrowKeyPair) {}

  send = async (body: { base64_encrypted: string; client_error: '' } | { client_error: string }) => {
    if (!this.reachable) throw new ServerUnavailableError('connection refused', 'no_answer');
    if ('base64_encrypted' in body) {
      const plain = await decryptEnvelope(Buffer.from(body.base64_encrypted, 'base64'), [this.pair]);
      this.keys.push(plain.toString('latin1'));
    } else this.errors.push(body.client_error);
  };

  latest(): string | undefined {
    return this.keys.at(-1);
  }
}

export const tempStateDir = () => mkdtemp(join(tmpdir(), 'bitlocker-test-'));
