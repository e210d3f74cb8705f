/**
 * What an agent signs to prove it is the computer that first enrolled a hardware UUID (issue 18, finding 2;
 * docs/decisions/0018-host-identity-proof.md). The agent and the server both build the message here, so
 * they cannot disagree on a byte. Ed25519 over the UTF-8 of these lines; the key is the agent's own, made
 * at its first enrollment and kept in its state directory.
 *
 * `signed_at` makes a captured request useless later: the server takes it only within a few minutes of its
 * own clock and only if it is later than the last one it accepted for that host.
 */
export const HOST_IDENTITY_PROOF_CONTEXT = 'escrow-desktop host identity v1';

/** How far `signed_at` may be from the server's clock. */
export const HOST_IDENTITY_MAX_SKEW_MS = 10 * 60_000;

export function hostIdentityProofMessage(claim: {
  hardware_uuid: string;
  public_key: string;
  signed_at: string;
}): string {
  return [HOST_IDENTITY_PROOF_CONTEXT, claim.hardware_uuid, claim.public_key, claim.signed_at].join('\n');
}
