import { encryptToCertificate } from '../../node-lib/cms/encrypt.js';
import type { EscrowKeyPair } from '../../node-lib/cms/escrow-certificate.js';
import type { DecryptabilityCheck } from '../jobs/verify-keys.js';

/** Shaped like a LUKS recovery key (the checks test the shape) and plainly not one: a single letter. */
const PROBE = Buffer.from(Array.from({ length: 8 }, () => 'cccccccc').join('-'));

/**
 * At startup: encrypt a probe to the current escrow certificate and have each checker (each decrypt worker)
 * open it. A certificate whose private key is missing or wrong then shows at once, rather than as every
 * agent's key being stored "not decryptable"; and the first agent to send a key does not wait for a cold
 * worker (its module code and key parsing cost ~30 ms on the first check, ~7 ms after).
 */
export async function selfCheckEscrowKeys(
  current: EscrowKeyPair,
  check: DecryptabilityCheck,
  checkers: number,
): Promise<boolean> {
  try {
    const probes = await Promise.all(
      Array.from({ length: Math.max(1, checkers) }, () =>
        encryptToCertificate(PROBE, current.certificatePem),
      ),
    );
    // All at once: the pool gives each check to the worker with the fewest queued, so each gets one.
    const answers = await Promise.all(probes.map((p) => check(p.toString('base64'), 'linux', [current])));
    return answers.every(Boolean);
  } catch {
    return false; // an unreadable certificate: the same answer, the caller reports it
  }
}
