import type { RendererResponse, UiState, WindowKind } from '../../ipc/window-bridge/contract.js';
import { createEscrowApi } from '../../src-main/preload/escrow-api.js';
import { createStateFeed } from '../../src-main/preload/state-feed.js';

/**
 * The web harness's stand-in for the Electron preload: the same `window.escrow` API, carried over
 * same-origin fetch (requests) and Server-Sent Events (pushed state) to the real desktop core running in
 * the harness's Node process. Loaded only by the harness, never by the packaged app.
 */
const kind = (location.hash.replace(/^#/, '') || 'my-device') as WindowKind;

async function invoke(body: object): Promise<RendererResponse> {
  const res = await fetch(`/api/invoke?window=${encodeURIComponent(kind)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await res.json()) as RendererResponse;
}

const feed = createStateFeed();
// The state the harness put in the page when it served it: there before the app's script runs, as
// Electron's preload has it. Inert JSON, parsed, never run.
const embedded = document.getElementById('escrow-initial-state')?.textContent;
if (embedded) feed.seed(JSON.parse(embedded) as UiState);
// The stream keeps it current from here; the harness sends the state of that moment first.
new EventSource(`/api/events?window=${encodeURIComponent(kind)}`).addEventListener('state', (e) =>
  feed.push(JSON.parse((e as MessageEvent<string>).data) as UiState),
);

const api = createEscrowApi(invoke, feed);

Object.defineProperty(window, 'escrow', { value: Object.freeze(api), writable: false, configurable: false });
