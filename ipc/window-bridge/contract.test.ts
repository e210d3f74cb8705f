import { describe, expect, it } from 'vitest';
import { MAX_PASSPHRASE_LENGTH, RendererRequest, UiState } from './contract.js';

describe('renderer → main contract', () => {
  it('accepts each request the preload can send', () => {
    for (const req of [
      { type: 'getState' },
      { type: 'createRecoveryKey', passphrase: 'p' },
      { type: 'remindLater' },
      { type: 'deferLogout' },
      { type: 'logOutNow' },
      { type: 'openWindow', kind: 'my-device' },
      { type: 'openContact' },
      { type: 'close' },
    ]) {
      expect(RendererRequest.safeParse(req).success, req.type).toBe(true);
    }
  });

  it('rejects unknown requests, extra fields and bad values', () => {
    for (const bad of [
      null,
      'getState',
      { type: 'exec', cmd: 'sh' },
      { type: 'getState', extra: 1 },
      { type: 'createRecoveryKey' },
      { type: 'createRecoveryKey', passphrase: '' },
      { type: 'createRecoveryKey', passphrase: 'x'.repeat(MAX_PASSPHRASE_LENGTH + 1) },
      { type: 'createRecoveryKey', passphrase: 42 },
      { type: 'openWindow', kind: 'devtools' },
      { type: 'openWindow', kind: 'about', url: 'https://x' },
    ]) {
      expect(RendererRequest.safeParse(bad).success, JSON.stringify(bad)?.slice(0, 60)).toBe(false);
    }
  });

  it('describes a state the core can push', () => {
    const ok = UiState.safeParse({
      app: { version: '1', platform: 'linux' },
      connection: { state: 'connecting', message: null },
      status: null,
      passphrase: {
        phase: 'idle',
        step: null,
        error: null,
        cooldownUntil: null,
        result: null,
        remindAt: null,
      },
      logout: null,
      newPassphrase: { phase: 'idle', step: null, error: null, result: null },
      link: { phase: 'idle', error: null, expiresAt: null },
    });
    expect(ok.success).toBe(true);
    expect(UiState.safeParse({ app: { version: '1', platform: 'beos' } }).success).toBe(false);
  });
});
