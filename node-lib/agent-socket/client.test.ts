import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../../ipc/desktop-agent/limits.js';
import { AgentClient, AgentRequestError } from './client.js';
import { encodeJsonFrame, type Frame, FrameDecoder } from './frame-codec.js';

/** A minimal peer speaking the real wire format, scripted per test: it answers each frame with `reply`. */
function fakeAgent(reply: (frame: Frame, send: (msg: unknown) => void) => void) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipc-client-'));
  const socketPath = path.join(dir, 'agent.sock');
  const received: Frame[] = [];
  const server = net.createServer((sock) => {
    const decoder = new FrameDecoder();
    sock.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) {
        received.push(frame);
        reply(frame, (msg) => sock.write(encodeJsonFrame(msg)));
      }
    });
  });
  const ready = new Promise<void>((resolve) => server.listen(socketPath, resolve));
  cleanups.push(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { socketPath, received, ready };
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const welcome = {
  type: 'welcome',
  protocol: PROTOCOL_VERSION,
  agentVersion: '0.1.0',
  platform: 'linux',
  peer: { uid: 1000, name: 'alice', mayEscrow: true },
};

describe('AgentClient', () => {
  it('handshakes, sends the secret frame right before the request that takes it, and validates the result', async () => {
    const agent = fakeAgent((frame, send) => {
      if (frame.kind !== 'json') return;
      const msg = frame.value as { type: string; id: number };
      if (msg.type === 'hello') send(welcome);
      else
        send({
          type: 'response',
          id: msg.id,
          ok: true,
          result: { outcome: 'escrowed', keySlot: 1, escrowedAt: null },
        });
    });
    await agent.ready;
    const client = await AgentClient.connect({
      socketPath: agent.socketPath,
      clientName: 'desktop',
      clientVersion: '0.1.0',
      token: null,
    });
    expect(client.welcome.peer.name).toBe('alice');
    const result = await client.request('recoveryKey.create', {}, Buffer.from('pass phrase'));
    expect(result).toEqual({ outcome: 'escrowed', keySlot: 1, escrowedAt: null });
    expect(agent.received.map((f) => f.kind)).toEqual(['json', 'secret', 'json']);
    expect(agent.received[1]).toEqual({ kind: 'secret', bytes: Buffer.from('pass phrase') });
    expect(JSON.stringify(agent.received[2])).not.toContain('pass phrase');
    client.close();
  });

  it('turns an error response into an AgentRequestError with code and details', async () => {
    const agent = fakeAgent((frame, send) => {
      const msg = (frame.kind === 'json' ? frame.value : {}) as { type: string; id: number };
      if (msg.type === 'hello') send(welcome);
      else if (msg.type === 'request')
        send({
          type: 'response',
          id: msg.id,
          ok: false,
          error: { code: 'wrong_passphrase', message: 'no', details: { attemptsLeft: 4 } },
        });
    });
    await agent.ready;
    const client = await AgentClient.connect({
      socketPath: agent.socketPath,
      clientName: 'escrowctl',
      clientVersion: '0',
      token: null,
    });
    await expect(client.request('recoveryKey.create', {}, Buffer.from('x'))).rejects.toMatchObject({
      code: 'wrong_passphrase',
      details: { attemptsLeft: 4 },
    });
    client.close();
  });

  it("rejects a result that does not match the method's schema", async () => {
    const agent = fakeAgent((frame, send) => {
      const msg = (frame.kind === 'json' ? frame.value : {}) as { type: string; id: number };
      if (msg.type === 'hello') send(welcome);
      else send({ type: 'response', id: msg.id, ok: true, result: { outcome: 'maybe' } });
    });
    await agent.ready;
    const client = await AgentClient.connect({
      socketPath: agent.socketPath,
      clientName: 'desktop',
      clientVersion: '0',
      token: null,
    });
    await expect(client.request('status.get', {})).rejects.toMatchObject({ code: 'invalid_message' });
    client.close();
  });

  it('reports a protocol mismatch from the handshake', async () => {
    const agent = fakeAgent((_frame, send) =>
      send({
        type: 'error',
        error: { code: 'protocol_mismatch', message: 'update the app', details: { expectedProtocol: 2 } },
      }),
    );
    await agent.ready;
    await expect(
      AgentClient.connect({
        socketPath: agent.socketPath,
        clientName: 'desktop',
        clientVersion: '0',
        token: null,
      }),
    ).rejects.toMatchObject({ code: 'protocol_mismatch', details: { expectedProtocol: 2 } });
  });

  it('says plainly when the agent is not running', async () => {
    const err = await AgentClient.connect({
      socketPath: path.join(os.tmpdir(), 'no-such-dir', 'agent.sock'),
      clientName: 'desktop',
      clientVersion: '0',
      token: null,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentRequestError);
    expect(err).toMatchObject({ code: 'agent_unavailable', message: 'the escrow agent is not running' });
  });

  it('refuses to send a secret with a method that takes none', async () => {
    const agent = fakeAgent((frame, send) => {
      if (frame.kind === 'json' && (frame.value as { type: string }).type === 'hello') send(welcome);
    });
    await agent.ready;
    const client = await AgentClient.connect({
      socketPath: agent.socketPath,
      clientName: 'desktop',
      clientVersion: '0',
      token: null,
    });
    await expect(client.request('status.get', {}, Buffer.from('oops'))).rejects.toThrow(/takes no secret/);
    expect(agent.received.some((f) => f.kind === 'secret')).toBe(false);
    client.close();
  });
});
