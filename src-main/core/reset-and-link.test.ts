import { describe, expect, it } from 'vitest';
import type { MethodName, ParamsOf, ResultOf } from '../../ipc/desktop-agent/messages.js';
import type { NewPassphraseFlow } from '../../ipc/window-bridge/contract.js';
import type { AgentConnection } from './agent-link.js';
import { isOpenableLinkUrl, sendNewPassphrase, startLink, withStep } from './reset-and-link.js';

/** An agent connection that records what it was sent (a copy of the secret, taken at once) and answers. */
function agent(answer: (method: MethodName) => Promise<unknown>) {
  const sent: { method: string; params: unknown; secret: string | null; frame: Buffer | undefined }[] = [];
  const conn = {
    request: <M extends MethodName>(method: M, params: ParamsOf<M>, secret?: Buffer) => {
      sent.push({ method, params, secret: secret ? secret.toString('utf8') : null, frame: secret });
      return answer(method) as Promise<ResultOf<M>>;
    },
  } as unknown as AgentConnection;
  return { conn, sent };
}

describe('sendNewPassphrase', () => {
  it('sends the key and the new passphrase in one NUL-separated frame, wipes it, and shows the result', async () => {
    const { conn, sent } = agent(async () => ({
      outcome: 'escrowed',
      keySlot: 3,
      escrowedAt: '2026-01-01T00:00:00.000Z',
      passphraseSlot: 2,
      oldPassphrase: 'removed',
    }));
    const shown: NewPassphraseFlow[] = [];
    const done = await sendNewPassphrase(
      conn,
      { recoveryKey: 'cbde fghi', passphrase: 'new words', removeOldPassphrase: true },
      'vol-1',
      (f) => shown.push(f),
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      method: 'luks.setNewPassphrase',
      params: { removeOldPassphrase: true, volumeId: 'vol-1' },
      secret: 'cbde fghi\0new words',
    });
    expect(sent[0]?.frame?.every((b) => b === 0)).toBe(true);
    expect(shown[0]).toMatchObject({ phase: 'submitting', step: 'checking_recovery_key' });
    expect(done).toEqual({
      phase: 'success',
      step: null,
      error: null,
      result: { outcome: 'escrowed', oldPassphrase: 'removed' },
    });
  });

  it('shows the agent’s refusal with its code and attempts left', async () => {
    const { conn } = agent(async () => {
      throw Object.assign(new Error('That recovery key does not unlock this disk.'), {
        code: 'wrong_recovery_key',
        details: { attemptsLeft: 3 },
      });
    });
    const done = await sendNewPassphrase(
      conn,
      { recoveryKey: 'x', passphrase: 'y', removeOldPassphrase: false },
      null,
      () => {},
    );
    expect(done.phase).toBe('error');
    expect(done.error).toEqual({
      code: 'wrong_recovery_key',
      message: 'That recovery key does not unlock this disk.',
      attemptsLeft: 3,
    });
  });

  it('moves the step only while submitting', () => {
    const idle: NewPassphraseFlow = { phase: 'idle', step: null, error: null, result: null };
    expect(withStep(idle, 'uploading')).toBe(idle);
    expect(withStep({ ...idle, phase: 'submitting' }, 'uploading').step).toBe('uploading');
  });
});

describe('startLink', () => {
  it('opens the page the agent got, and says until when it works', async () => {
    const { conn } = agent(async () => ({ url: 'https://escrow.example.com/link?code=a', expiresAt: 'T' }));
    const opened: string[] = [];
    expect(await startLink(conn, (u) => opened.push(u))).toEqual({
      phase: 'opened',
      error: null,
      expiresAt: 'T',
    });
    expect(opened).toEqual(['https://escrow.example.com/link?code=a']);
  });

  it('never opens anything but https (or http on loopback), and shows why linking failed', async () => {
    const opened: string[] = [];
    const bad = agent(async () => ({ url: 'file:///etc/passwd', expiresAt: 'T' }));
    expect((await startLink(bad.conn, (u) => opened.push(u))).phase).toBe('error');
    const refused = agent(async () => {
      throw Object.assign(new Error('no single sign-on'), { code: 'link_unavailable' });
    });
    expect((await startLink(refused.conn, (u) => opened.push(u))).error?.code).toBe('link_unavailable');
    expect(opened).toEqual([]);
    expect(isOpenableLinkUrl('http://127.0.0.1:8080/link?code=a')).toBe(true);
    expect(isOpenableLinkUrl('http://escrow.example.com/link')).toBe(false);
    expect(isOpenableLinkUrl('javascript:alert(1)')).toBe(false);
  });
});
