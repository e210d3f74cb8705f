import type { EscrowApi, RendererResponse } from '../../ipc/window-bridge/contract.js';
import type { StateFeed } from './state-feed.js';

/**
 * The `window.escrow` API over a transport: Electron's preload passes ipcRenderer.invoke, the web harness's
 * bridge passes fetch. Each call is one named request; main (or the harness) validates every one.
 */
export function createEscrowApi(
  invoke: (body: object) => Promise<RendererResponse>,
  feed: StateFeed,
): EscrowApi {
  return {
    getState: () => invoke({ type: 'getState' }),
    subscribe: (listener) => feed.subscribe(listener),
    // The string crosses to main once; main turns it into a Buffer, sends it to the agent and wipes it.
    createRecoveryKey: (passphrase) => invoke({ type: 'createRecoveryKey', passphrase }),
    setNewPassphrase: (recoveryKey, passphrase, removeOldPassphrase) =>
      invoke({ type: 'setNewPassphrase', recoveryKey, passphrase, removeOldPassphrase }),
    linkComputer: () => invoke({ type: 'linkComputer' }),
    remindLater: () => invoke({ type: 'remindLater' }),
    deferLogout: () => invoke({ type: 'deferLogout' }),
    logOutNow: () => invoke({ type: 'logOutNow' }),
    openWindow: (kind) => invoke({ type: 'openWindow', kind }),
    openContact: () => invoke({ type: 'openContact' }),
    close: () => invoke({ type: 'close' }),
  };
}
