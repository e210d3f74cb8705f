import type { ProgressStep } from '../../ipc/desktop-agent/messages.js';
import { SECRET_SEPARATOR } from '../../ipc/desktop-agent/messages.js';
import type { LinkFlow, NewPassphraseFlow, UiError } from '../../ipc/window-bridge/contract.js';
import type { AgentConnection } from './agent-link.js';
import { uiErrorOf } from './ui-error.js';

/**
 * The desktop's side of "Set a new disk passphrase" and "Link this computer": the states their screens
 * show and the one agent request each makes. DesktopCore owns the state and calls these.
 */

export const IDLE_NEW_PASSPHRASE: NewPassphraseFlow = {
  phase: 'idle',
  step: null,
  error: null,
  result: null,
};
export const IDLE_LINK: LinkFlow = { phase: 'idle', error: null, expiresAt: null };

export type SetNewPassphraseInput = { recoveryKey: string; passphrase: string; removeOldPassphrase: boolean };

/**
 * Send the recovery key and the new passphrase in one secret frame (messages.ts SECRET_SEPARATOR). The
 * frame is built in a Buffer that is wiped as soon as the request has copied it; the renderer's strings
 * cannot be wiped, which is why they cross only once. `show` publishes each state of the dialog.
 */
export async function sendNewPassphrase(
  conn: AgentConnection,
  input: SetNewPassphraseInput,
  volumeId: string | null,
  show: (flow: NewPassphraseFlow) => void,
): Promise<NewPassphraseFlow> {
  const key = Buffer.from(input.recoveryKey, 'utf8');
  const pass = Buffer.from(input.passphrase, 'utf8');
  const secret = Buffer.concat([key, Buffer.from([SECRET_SEPARATOR]), pass]);
  key.fill(0);
  pass.fill(0);
  show({ ...IDLE_NEW_PASSPHRASE, phase: 'submitting', step: 'checking_recovery_key' });
  try {
    const params = {
      removeOldPassphrase: input.removeOldPassphrase,
      ...(volumeId ? { volumeId } : {}),
    };
    const pending = conn.request('luks.setNewPassphrase', params, secret);
    secret.fill(0);
    const r = await pending;
    return {
      phase: 'success',
      step: null,
      error: null,
      result: { outcome: r.outcome, oldPassphrase: r.oldPassphrase },
    };
  } catch (err) {
    return { phase: 'error', step: null, error: uiErrorOf(err), result: null };
  } finally {
    secret.fill(0);
  }
}

/** A progress event of the agent moves the dialog's step while it is submitting. */
export function withStep(flow: NewPassphraseFlow, step: ProgressStep): NewPassphraseFlow {
  return flow.phase === 'submitting' ? { ...flow, step } : flow;
}

/**
 * Ask the agent for the link page and hand it to `open` (the system browser). The URL is on the agent's
 * own server (the agent checks); main checks once more that it is https, or http to a loopback address.
 */
export async function startLink(conn: AgentConnection, open: (url: string) => void): Promise<LinkFlow> {
  try {
    const r = await conn.request('link.start', {});
    if (!isOpenableLinkUrl(r.url)) {
      return {
        phase: 'error',
        error: { code: 'internal', message: 'The link page’s address is not safe to open.' },
        expiresAt: null,
      };
    }
    open(r.url);
    return { phase: 'opened', error: null, expiresAt: r.expiresAt };
  } catch (err) {
    return { phase: 'error', error: uiErrorOf(err) satisfies UiError, expiresAt: null };
  }
}

export function isOpenableLinkUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}
