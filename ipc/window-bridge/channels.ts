/**
 * IPC channel names, apart from the zod schemas in contract.ts so the sandboxed preload stays a few
 * hundred bytes: it only forwards, main validates.
 */
export const Channels = {
  /** renderer → main, request/response (ipcRenderer.invoke). */
  invoke: 'escrow:invoke',
  /** main → renderer, the whole UI state, pushed on every change. */
  state: 'escrow:state',
} as const;
