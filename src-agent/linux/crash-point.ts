import { z } from 'zod';

/**
 * TEST ONLY: the boundaries between escrow steps where the crash tests kill the agent with SIGKILL
 * (as `kill -9` would), to prove that startup reconciliation repairs every state. Production code never
 * sets `crashAt`; only the crash test's child process does.
 */
export const CrashPoint = z.enum([
  'journal_written', // journal entry on disk, header unchanged
  'slot_added', // luksAddKey done, journal still 'pending'
  'slot_journaled', // journal 'slot_added' with the salt, no token yet
  'token_marked', // token 'pending' in the header
  'verified', // new key opened its slot
  'uploaded', // server has the key, journal not yet 'acked'
  'acked', // journal 'acked', token still 'pending'
  'token_escrowed', // token 'escrowed', journal entry not yet removed
  // "Set a new disk passphrase" (passphrase-reset.ts); the rotation inside it passes the points above too
  'reset_journaled', // reset journal written, header unchanged
  'reset_passphrase_added', // the new passphrase's slot exists, the reset journal does not know its salt
  'reset_passphrase_journaled', // the reset journal records the new slot's salt
  'reset_old_passphrase_removed', // the forgotten passphrase's slot is gone (when chosen)
  'reset_used_key_removed', // new key escrowed and the used key's slot removed, reset journal not yet removed
]);
export type CrashPoint = z.infer<typeof CrashPoint>;

/** The points a first escrow or a rotation passes (the reset_* ones belong to "Set a new disk passphrase"). */
export const ESCROW_CRASH_POINTS: readonly CrashPoint[] = CrashPoint.options.filter(
  (p) => !p.startsWith('reset_'),
);

export function crashIfRequested(point: CrashPoint, crashAt: CrashPoint | undefined): void {
  if (crashAt === point) process.kill(process.pid, 'SIGKILL');
}
