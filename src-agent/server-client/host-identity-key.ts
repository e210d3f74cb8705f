import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { hostIdentityProofMessage } from '../../ipc/agent-server/host-identity-proof.js';
import type { HostIdentityClaim } from '../../ipc/agent-server/orbit-api.js';
import { writeFileAtomic } from '../durable-file.js';

/**
 * This computer's identity towards the escrow server (issue 18, finding 2): an Ed25519 key made at the
 * first enrollment and kept in the state dir (0600, root only). Re-enrollments are signed with it; an
 * enrollment that claims this computer's hardware UUID without it cannot touch this host's record. Losing
 * the file (a reinstall, a re-imaged disk) makes the next enrollment a pending host an admin merges
 * (docs/decisions/0018-host-identity-proof.md).
 */
export class HostIdentityKey {
  private readonly file: string;
  private key: KeyObject | null = null;

  constructor(stateDir: string) {
    this.file = path.join(stateDir, 'host-identity-key.pem');
  }

  /** The key, made (and durably written) on first use. */
  private async load(): Promise<KeyObject> {
    if (this.key) return this.key;
    let pem: string | null = null;
    try {
      pem = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (pem === null) {
      const { privateKey } = generateKeyPairSync('ed25519');
      pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      await writeFileAtomic(this.file, pem);
    }
    this.key = createPrivateKey(pem);
    return this.key;
  }

  /** The proof for an enrollment of `hardwareUuid`, signed now. */
  async claim(hardwareUuid: string, now = new Date()): Promise<HostIdentityClaim> {
    const key = await this.load();
    const publicKey = createPublicKey(key).export({ format: 'der', type: 'spki' }).toString('base64');
    const signedAt = now.toISOString();
    const message = hostIdentityProofMessage({
      hardware_uuid: hardwareUuid,
      public_key: publicKey,
      signed_at: signedAt,
    });
    return {
      public_key: publicKey,
      signed_at: signedAt,
      signature: sign(null, Buffer.from(message), key).toString('base64'),
    };
  }
}
