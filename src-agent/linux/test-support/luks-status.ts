import type { LuksStatus } from '../escrow-state.js';

/** The LUKS core's status for a LUKS2 disk with no key of ours yet; override what a test needs. */
export const luksStatus = (over: Partial<LuksStatus> = {}): LuksStatus => ({
  device: '/dev/nvme0n1p3',
  uuid: 'b1f0c7c2-0000-4000-8000-000000000001',
  encrypted: true,
  luks2: true,
  freeSlots: 30,
  ourSlot: null,
  salt: null,
  tokenState: 'none',
  escrowedAt: null,
  pendingUpload: false,
  needsKey: true,
  hostChange: null,
  staleSlots: [],
  attemptsLeft: 5,
  cooldownUntil: null,
  resetPending: false,
  ...over,
});
