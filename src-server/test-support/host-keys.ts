import { createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { hostIdentityProofMessage } from '../../ipc/agent-server/host-identity-proof.js';
import type { HostIdentityClaim } from '../../ipc/agent-server/orbit-api.js';

/** An agent's identity key, as the agent makes it (src-agent/server-client/host-identity-key.ts). */
export function newHostKey(): KeyObject {
  return generateKeyPairSync('ed25519').privateKey;
}

/** The host_identity an agent holding `key` sends when it enrolls `hardwareUuid` at `at`. */
export function signedClaim(key: KeyObject, hardwareUuid: string, at = new Date()): HostIdentityClaim {
  const public_key = createPublicKey(key).export({ format: 'der', type: 'spki' }).toString('base64');
  const signed_at = at.toISOString();
  const message = hostIdentityProofMessage({ hardware_uuid: hardwareUuid, public_key, signed_at });
  return { public_key, signed_at, signature: sign(null, Buffer.from(message), key).toString('base64') };
}

/** Each hardware UUID's agent keeps its key, as a real agent keeps its state dir. */
const keys = new Map<string, KeyObject>();
export function keyOf(hardwareUuid: string): KeyObject {
  let k = keys.get(hardwareUuid);
  if (!k) {
    k = newHostKey();
    keys.set(hardwareUuid, k);
  }
  return k;
}
