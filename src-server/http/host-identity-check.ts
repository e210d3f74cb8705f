import { createPublicKey, verify } from 'node:crypto';
import {
  HOST_IDENTITY_MAX_SKEW_MS,
  hostIdentityProofMessage,
} from '../../ipc/agent-server/host-identity-proof.js';
import type { EnrollRequest } from '../../ipc/agent-server/orbit-api.js';
import type { HostClaim } from '../storage/records.js';

/**
 * Checks the identity proof of an enrollment (issue 18, finding 2): an Ed25519 signature, by the key it
 * names, over the hardware UUID and a time close to ours. Whether that key is the one the known host
 * enrolled with is the store's question (sql/host-enrollment.ts). Returns the claim, null when there is
 * none, or the reason it is refused.
 */
export function checkHostClaim(
  body: EnrollRequest,
  nowMs = Date.now(),
): HostClaim | null | { refused: string } {
  const claim = body.host_identity;
  if (!claim) return null;
  if (Math.abs(Date.parse(claim.signed_at) - nowMs) > HOST_IDENTITY_MAX_SKEW_MS) {
    return { refused: 'host_identity.signed_at is too far from the server clock; check the computer clock' };
  }
  let ok = false;
  try {
    const key = createPublicKey({
      key: Buffer.from(claim.public_key, 'base64'),
      format: 'der',
      type: 'spki',
    });
    ok =
      key.asymmetricKeyType === 'ed25519' &&
      verify(
        null,
        Buffer.from(hostIdentityProofMessage({ hardware_uuid: body.hardware_uuid, ...claim })),
        key,
        Buffer.from(claim.signature, 'base64'),
      );
  } catch {
    ok = false;
  }
  if (!ok) return { refused: 'host_identity: the signature does not verify' };
  // Stored normalised, so that "later than the last accepted" compares instants, not spellings.
  return { public_key: claim.public_key, signed_at: new Date(claim.signed_at).toISOString() };
}
