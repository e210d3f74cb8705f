import { AgentError } from '../ipc/desktop-agent/errors.js';
import { type LinkStartResult, SECRET_SEPARATOR } from '../ipc/desktop-agent/messages.js';
import { ServerUnavailableError } from './platform-port.js';
import type { AgentApiClient } from './server-client/agent-api-client.js';
import { ServerRejectedError } from './server-client/errors.js';

/**
 * The agent's side of two desktop requests that are not about one platform: the two secrets of
 * luks.setNewPassphrase, and link.start.
 */

/**
 * luks.setNewPassphrase's secret frame → [recovery key, new passphrase], as copies the caller owns (the
 * IPC server wipes the frame itself after the request). A frame without the separator is refused.
 */
export function splitResetSecret(secret: Buffer | null): [Buffer, Buffer] {
  const at = secret ? secret.indexOf(SECRET_SEPARATOR) : -1;
  if (!secret || at < 0) {
    throw new AgentError('invalid_passphrase', 'The recovery key and the new passphrase were not both sent.');
  }
  return [Buffer.from(secret.subarray(0, at)), Buffer.from(secret.subarray(at + 1))];
}

/**
 * "Link this computer": a one-time code from the server, as the page to open. The page must be on the
 * agent's own server: the desktop opens it in the system browser, so a server answer must not be able to
 * send the person anywhere else.
 */
export async function startLink(api: AgentApiClient): Promise<LinkStartResult> {
  let code: Awaited<ReturnType<AgentApiClient['linkCode']>>;
  try {
    code = await api.linkCode();
  } catch (e) {
    if (e instanceof ServerRejectedError && e.status === 404) {
      throw new AgentError(
        'link_unavailable',
        'Your organisation’s server does not link computers to work accounts (no single sign-on). Ask your IT team.',
      );
    }
    if (e instanceof ServerRejectedError && e.status === 409) {
      throw new AgentError(
        'link_unavailable',
        'This computer is already linked to a work account. Your IT team can unlink it.',
      );
    }
    if (e instanceof ServerUnavailableError) {
      throw new AgentError(
        'server_unreachable',
        'The escrow server cannot be reached right now. Try again later.',
      );
    }
    throw e;
  }
  const base = new URL(api.serverUrl);
  const url = new URL(code.link_path, base);
  if (url.origin !== base.origin || !code.link_path.startsWith('/')) {
    throw new AgentError(
      'internal',
      'The escrow server sent a link page on another site; it was not opened.',
    );
  }
  return { url: url.toString(), expiresAt: code.expires_at };
}
