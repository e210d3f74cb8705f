import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeviceStatus } from './device-status.js';
import { AgentMessage, ClientMessage, Hello, MethodName, Methods } from './messages.js';

const status: DeviceStatus = {
  agentVersion: '0.1.0',
  platform: 'linux',
  hostname: 'laptop-42',
  server: { state: 'connected', url: 'https://escrow.example', lastContactAt: '2026-11-23T10:00:00.000Z' },
  volumes: [
    {
      id: 'luks:7f1c',
      label: 'System disk',
      device: '/dev/nvme0n1p3',
      encryption: 'luks2',
      encrypted: true,
      escrow: { state: 'action_required', escrowedAt: null, keySlot: null },
    },
  ],
  action: {
    kind: 'luks_passphrase',
    volumeId: 'luks:7f1c',
    reason: 'no_key',
    cooldownUntil: null,
    remindAt: null,
  },
  organization: { name: 'Example Corp', contactUrl: 'https://help.example/it' },
  updatedAt: '2026-11-23T10:00:01.000Z',
};

describe('client messages (parsed strictly: the agent is root and trusts no client)', () => {
  const hello = { type: 'hello', protocol: 1, client: { name: 'desktop', version: '0.1.0' } };

  it('accepts a hello with or without a well-formed token', () => {
    expect(Hello.parse(hello)).toEqual(hello);
    expect(ClientMessage.parse({ ...hello, token: 'a'.repeat(64) }).type).toBe('hello');
  });

  it('refuses unknown keys, malformed tokens and unknown client names', () => {
    expect(ClientMessage.safeParse({ ...hello, admin: true }).success).toBe(false);
    expect(ClientMessage.safeParse({ ...hello, token: 'A'.repeat(64) }).success).toBe(false);
    expect(ClientMessage.safeParse({ ...hello, token: 'a'.repeat(63) }).success).toBe(false);
    expect(ClientMessage.safeParse({ ...hello, client: { name: 'root-shell', version: '1' } }).success).toBe(
      false,
    );
  });

  it('bounds request ids and method names', () => {
    const req = { type: 'request', id: 1, method: 'status.get', params: {} };
    expect(ClientMessage.safeParse(req).success).toBe(true);
    expect(ClientMessage.safeParse({ ...req, id: 0 }).success).toBe(false);
    expect(ClientMessage.safeParse({ ...req, id: 1.5 }).success).toBe(false);
    expect(ClientMessage.safeParse({ ...req, id: 2 ** 31 }).success).toBe(false);
    expect(ClientMessage.safeParse({ ...req, method: 'x'.repeat(65) }).success).toBe(false);
  });

  it("checks each method's params strictly", () => {
    expect(Methods['status.get'].params.safeParse({}).success).toBe(true);
    expect(Methods['status.get'].params.safeParse({ extra: 1 }).success).toBe(false);
    expect(Methods['recoveryKey.create'].params.safeParse({ volumeId: 'luks:1' }).success).toBe(true);
    // The passphrase never travels in JSON: a params object carrying one is refused.
    expect(Methods['recoveryKey.create'].params.safeParse({ passphrase: 'x' }).success).toBe(false);
    expect(MethodName.options).toEqual(Object.keys(Methods));
  });

  it('never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (v) => {
        expect(typeof ClientMessage.safeParse(v).success).toBe('boolean');
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('agent messages (parsed leniently within one protocol version)', () => {
  it('accepts a status event and drops fields it does not know', () => {
    const parsed = AgentMessage.parse({
      type: 'event',
      event: 'status',
      data: { ...status, futureField: 1 },
    });
    expect(parsed).toEqual({ type: 'event', event: 'status', data: status });
  });

  it('refuses a status whose slot is out of range or whose time is not ISO', () => {
    const badSlot = structuredClone(status);
    (badSlot.volumes[0] as DeviceStatus['volumes'][number]).escrow.keySlot = 32;
    expect(DeviceStatus.safeParse(badSlot).success).toBe(false);
    expect(DeviceStatus.safeParse({ ...status, updatedAt: 'yesterday' }).success).toBe(false);
  });

  it('parses error responses with their machine-readable code', () => {
    const msg = AgentMessage.parse({
      type: 'response',
      id: 3,
      ok: false,
      error: {
        code: 'wrong_passphrase',
        message: 'That passphrase does not unlock this disk.',
        details: { attemptsLeft: 2 },
      },
    });
    expect(msg).toMatchObject({
      ok: false,
      error: { code: 'wrong_passphrase', details: { attemptsLeft: 2 } },
    });
    expect(
      AgentMessage.safeParse({ type: 'response', id: 3, ok: false, error: { code: 'nope', message: 'x' } })
        .success,
    ).toBe(false);
  });
});
