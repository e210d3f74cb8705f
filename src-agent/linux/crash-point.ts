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
]);
export type CrashPoint = z.infer<typeof CrashPoint>;

export function crashIfRequested(point: CrashPoint, crashAt: CrashPoint | undefined): void {
  if (crashAt === point) process.kill(process.pid, 'SIGKILL');
}
