import type { LuksDataRequest } from '../../ipc/agent-server/orbit-api.js';
import type { Logger } from '../../node-lib/logger.js';
import type { CrashPoint } from './crash-point.js';
import type { Cryptsetup, SlotPbkdf } from './cryptsetup.js';
import type { Journal } from './journal.js';
import { toAgentError } from './luks-errors.js';

/** What the uploader sends to the server (the server client adds orbit_node_key and client_error ''). */
export type LuksUpload = {
  [K in 'escrow_id' | 'key_slot' | 'salt' | 'base64_encrypted']-?: Exclude<LuksDataRequest[K], undefined>;
};

/**
 * Resolves when the server acknowledged (2xx). Throws ServerUnavailableError (platform-port.ts) when the
 * server could not be reached: the key stays queued. Any other failure is a refusal.
 */
export type Uploader = (upload: LuksUpload) => Promise<unknown>;

/**
 * What the steps of the LUKS escrow share: the device, its edges (cryptsetup, the journal, the uploader)
 * and the test-only crash points. One per LuksEscrow; the steps in new-key.ts, escrow-upload.ts,
 * crash-recovery.ts and rotation.ts take it as their first argument.
 */
export interface EscrowContext {
  device: string;
  cs: Cryptsetup;
  journal: Journal;
  uploader: Uploader;
  /** The KDF we give our slots; after a crash, a slot with any other KDF is never taken for ours. */
  newSlotPbkdf: SlotPbkdf;
  log: Logger;
  now: () => Date;
  /** TEST ONLY: SIGKILL here when the crash tests ask for this point (crash-point.ts). */
  crash(point: CrashPoint): void;
}

/** Run a cryptsetup call, turning its failures into AgentErrors with a clear code. */
export async function guarded<T>(ctx: EscrowContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toAgentError(e, ctx.device);
  }
}
