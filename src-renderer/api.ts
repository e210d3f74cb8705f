import type { EscrowApi } from '../ipc/window-bridge/contract.js';

declare global {
  interface Window {
    /** Provided by the preload (Electron) or by the web harness's bridge script. */
    escrow?: EscrowApi;
  }
}

export function escrowApi(): EscrowApi {
  if (!window.escrow) throw new Error('window.escrow is missing: the page was opened outside Escrow Desktop');
  return window.escrow;
}
