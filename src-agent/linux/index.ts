import { encryptToCertificate } from '../../node-lib/cms/encrypt.js';
import type { Logger } from '../../node-lib/logger.js';
import type { CrashPoint } from './crash-point.js';
import { Cryptsetup, type CryptsetupOptions, type SlotPbkdf } from './cryptsetup.js';
import { LuksEscrow, type Uploader } from './luks-escrow.js';
import { findRootLuksDevice, type RootDeviceResult } from './root-device.js';

/**
 * Public API of the Linux LUKS escrow core, used by the agent service. Everything else in this folder is
 * internal.
 */

export { CryptsetupError, type CryptsetupOptions, type SlotPbkdf } from './cryptsetup.js';
export {
  type LuksStatus,
  type LuksUpload,
  type ProgressCallback,
  type ReconcileReport,
  type Uploader,
  UploadUnavailableError,
} from './luks-escrow.js';
export type { RootDeviceResult } from './root-device.js';

/**
 * KDF for the escrow slot. The recovery key has 256 bits of entropy, so a slow KDF adds nothing against
 * guessing; it would only cost ~1 GiB of memory and seconds on every unlock with the key. systemd-cryptenroll
 * uses pbkdf2/sha512/1000 iterations for its recovery-key slot for the same reason. The user's own slot
 * keeps its argon2.
 */
export const DEFAULT_SLOT_PBKDF: SlotPbkdf = { type: 'pbkdf2', hash: 'sha512', iterations: 1000 };

export type LuksEscrowOptions = {
  /** The LUKS2 device (or image file), e.g. from detectRootLuksDevice() or --luks-device. */
  device: string;
  /** Root-owned state directory; the journal, attempt counter and lock files live here (0700). */
  stateDir: string;
  cryptsetup?: CryptsetupOptions;
  newSlotPbkdf?: SlotPbkdf;
  uploader: Uploader;
  /** The current escrow certificate (PEM); read at every escrow so a rolled-over certificate is used. */
  escrowCertificate: () => string;
  log: Logger;
  now?: () => Date;
  /** TEST ONLY: SIGKILL the process at this step boundary (crash tests). */
  testCrashAt?: CrashPoint;
};

export function createLuksEscrow(opts: LuksEscrowOptions) {
  const core = new LuksEscrow({
    device: opts.device,
    stateDir: opts.stateDir,
    cryptsetup: new Cryptsetup(opts.cryptsetup),
    uploader: opts.uploader,
    encryptKey: (key) => encryptToCertificate(key, opts.escrowCertificate()),
    newSlotPbkdf: opts.newSlotPbkdf ?? DEFAULT_SLOT_PBKDF,
    log: opts.log,
    now: opts.now ?? (() => new Date()),
    ...(opts.testCrashAt ? { testCrashAt: opts.testCrashAt } : {}),
  });
  return {
    status: () => core.status(),
    escrow: core.escrow.bind(core),
    rotate: core.rotate.bind(core),
    reconcile: () => core.reconcile(),
    /** The same as reconcile(): upload every journaled key whose slot exists. Call on a backoff timer. */
    uploadPending: () => core.reconcile(),
  };
}
export type LuksEscrowApi = ReturnType<typeof createLuksEscrow>;

/**
 * The LUKS2 device behind `/` (`device`, or null) and what lies under `/` (LUKS containers, unencrypted
 * members), from findmnt and lsblk; candidates lsblk could not type are confirmed with cryptsetup.
 */
export function detectRootLuksDevice(options: CryptsetupOptions = {}): Promise<RootDeviceResult> {
  const cs = new Cryptsetup(options);
  return findRootLuksDevice(async (device) => (await cs.identify(device).catch(() => null))?.version === 2);
}
