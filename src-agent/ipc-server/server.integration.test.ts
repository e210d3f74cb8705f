import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES, MAX_JSON_DEPTH } from '../../ipc/desktop-agent/limits.js';
import { AgentClient, AgentRequestError } from '../../node-lib/agent-socket/client.js';
import { tokenFileFor } from '../../node-lib/agent-socket/socket-paths.js';
import { resolveUser } from './allowed-users.js';
import { bundleForNobody, FLOOD_CLIENT, startAsNobody } from './test-support/as-nobody.js';
import { RawClient, recordingHandlers, startTestIpc } from './test-support/ipc-helpers.js';

const run = promisify(execFile);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(extra = {}) {
  const rec = recordingHandlers();
  const ipc = await startTestIpc(rec.handlers, extra);
  cleanups.push(ipc.cleanup);
  return { ...rec, ...ipc };
}

const connect = (socketPath: string) =>
  AgentClient.connect({ socketPath, clientName: 'escrowctl', clientVersion: 'test', timeoutMs: 5000 });

describe('IPC server: handshake and identity', () => {
  it('welcomes root with its token and lets it escrow, with progress only to the requester', async () => {
    const t = await setup();
    const client = await connect(t.socketPath);
    const bystander = await connect(t.socketPath);
    expect(client.welcome.peer).toEqual({ uid: 0, name: 'root', mayEscrow: true });
    const events: string[] = [];
    const seenByBystander: string[] = [];
    client.on('event', (e) => events.push(e.event === 'progress' ? e.data.step : e.event));
    bystander.on('event', (e) => seenByBystander.push(e.event));
    const result = await client.request('recoveryKey.create', {}, Buffer.from('correct horse'));
    expect(result.outcome).toBe('escrowed');
    expect(events).toEqual(['checking_passphrase', 'uploading']);
    expect(seenByBystander).toEqual([]);
    expect(t.calls).toEqual([{ method: 'recoveryKey.create', peer: 'root', secret: 'correct horse' }]);
    client.close();
    bystander.close();
  });

  it('writes token files 0400 in a 0711 directory, socket 0666 in a 0755 directory', async () => {
    const t = await setup();
    const tokenFile = tokenFileFor(t.socketPath, 0);
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o400);
    expect((await stat(path.dirname(tokenFile))).mode & 0o777).toBe(0o711);
    expect((await stat(t.socketPath)).mode & 0o777).toBe(0o666);
    expect((await stat(path.dirname(t.socketPath))).mode & 0o777).toBe(0o755);
    expect((await readFile(tokenFile, 'utf8')).trim()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('treats a wrong token as anonymous: status yes, escrow not_permitted and the handler never runs', async () => {
    const t = await setup();
    const client = await AgentClient.connect({
      socketPath: t.socketPath,
      clientName: 'desktop',
      clientVersion: 'test',
      token: 'a'.repeat(64),
    });
    expect(client.welcome.peer).toEqual({ uid: null, name: 'anonymous', mayEscrow: false });
    expect((await client.request('status.get', {})).hostname).toBe('test-host');
    const err = await client.request('recoveryKey.create', {}, Buffer.from('pw')).catch((e) => e);
    expect(err).toBeInstanceOf(AgentRequestError);
    expect(err.code).toBe('not_permitted');
    expect(t.calls.map((c) => c.method)).toEqual(['status.get']);
    client.close();
  });

  it('caps anonymous peers so they cannot take the slots of real users', async () => {
    const t = await setup({ admission: { maxAnonymous: 2 } });
    const anon = () => RawClient.connect(t.socketPath).then((c) => c.hello());
    const a = await anon();
    const b = await anon();
    await a.waitFor((m) => m.type === 'welcome');
    await b.waitFor((m) => m.type === 'welcome');
    const c = await anon();
    expect((await c.waitFor((m) => m.type === 'error')).error).toMatchObject({ code: 'busy' });
    await c.waitClosed();
    const root = await connect(t.socketPath); // a token holder still gets in
    expect(root.welcome.peer.mayEscrow).toBe(true);
    root.close();
  });

  it('when full, a token holder takes the place of a silent or anonymous connection', async () => {
    const t = await setup({ admission: { maxConnections: 4, maxAnonymous: 2 } });
    // A local user fills every place: two anonymous peers and two that never say hello.
    const anonA = await RawClient.connect(t.socketPath).then((c) => c.hello());
    const anonB = await RawClient.connect(t.socketPath).then((c) => c.hello());
    await anonA.waitFor((m) => m.type === 'welcome');
    await anonB.waitFor((m) => m.type === 'welcome');
    const silent = [await RawClient.connect(t.socketPath), await RawClient.connect(t.socketPath)];
    await expect.poll(() => t.server.connectionCount()).toBe(4);

    const root = await connect(t.socketPath);
    expect(root.welcome.peer.mayEscrow).toBe(true);
    // The oldest connection that never said hello made room (and was told why), although the anonymous ones
    // are older: closing one of those would free an anonymous place for the next hello (admission.ts).
    const [oldestSilent, otherSilent] = silent as [RawClient, RawClient];
    await oldestSilent.waitClosed();
    expect(
      oldestSilent.messages.some((m) => (m as { error?: { code: string } }).error?.code === 'busy'),
    ).toBe(true);
    expect(t.server.connectionCount()).toBe(4);
    for (const c of [anonA, anonB, otherSilent]) expect(c.closed).toBe(false);
    // With no silent connection left to close, the oldest anonymous one makes room.
    const second = await connect(t.socketPath);
    await otherSilent.waitClosed();
    const third = await connect(t.socketPath);
    await anonA.waitClosed();
    expect(anonB.closed).toBe(false);
    root.close();
    second.close();
    third.close();
  });

  it('answers a protocol mismatch with the expected version, then closes', async () => {
    const t = await setup();
    const raw = await RawClient.connect(t.socketPath);
    raw.hello(undefined, 99);
    const msg = await raw.waitFor((m) => m.type === 'error');
    expect(msg.error).toMatchObject({ code: 'protocol_mismatch', details: { expectedProtocol: 1 } });
    await raw.waitClosed();
  });

  it('refuses a request before hello and closes a silent client after the hello timeout', async () => {
    const t = await setup({ limits: { helloTimeoutMs: 300 } });
    const early = await RawClient.connect(t.socketPath);
    early.json({ type: 'request', id: 1, method: 'status.get', params: {} });
    expect((await early.waitFor((m) => m.type === 'error')).error).toMatchObject({
      code: 'handshake_required',
    });
    await early.waitClosed();
    const silent = await RawClient.connect(t.socketPath);
    expect((await silent.waitFor((m) => m.type === 'error')).error).toMatchObject({
      code: 'handshake_required',
    });
    await silent.waitClosed();
  });

  it('gives a new token on every start and rewrites tokens when a logind session appears or ends', async () => {
    const first = await setup();
    const firstToken = await ownToken(first.socketPath);
    await first.server.close();
    const again = await startTestIpc(recordingHandlers().handlers, { socketPath: first.socketPath });
    cleanups.push(again.cleanup);
    const secondToken = await ownToken(first.socketPath);
    expect(secondToken).toMatch(/^[0-9a-f]{64}$/);
    expect(secondToken).not.toBe(firstToken);
    const stale = await AgentClient.connect({
      socketPath: first.socketPath,
      clientName: 'desktop',
      clientVersion: 'test',
      token: firstToken,
    });
    expect(stale.welcome.peer.mayEscrow).toBe(false); // an old token proves nothing after a restart
    stale.close();

    const t = await setup();
    const sessions = path.join(t.dir, 'sessions');
    await mkdir(sessions, { recursive: true });
    await t.server.refreshPeers(); // the directory did not exist at start; a real logind has it already
    const file = tokenFileFor(t.socketPath, 65534);
    await writeFile(
      path.join(sessions, '7'),
      'UID=65534\nUSER=nobody\nACTIVE=1\nSTATE=active\nREMOTE=0\nCLASS=user\n',
    );
    await t.server.refreshPeers();
    expect((await stat(file)).uid).toBe(65534);
    expect((await stat(file)).mode & 0o777).toBe(0o400);
    await writeFile(
      path.join(sessions, '7'),
      'UID=65534\nUSER=nobody\nSTATE=closing\nREMOTE=0\nCLASS=user\n',
    );
    await t.server.refreshPeers();
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
  });
});

describe('IPC server: hostile frames', () => {
  const cases: [string, (c: RawClient) => void, string][] = [
    ['garbage kind byte', (c) => c.raw(Buffer.from([0, 0, 0, 2, 9, 1, 2])), 'bad_frame'],
    [
      'oversize length',
      (c) => {
        const h = Buffer.alloc(5);
        h.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
        h.writeUInt8(1, 4);
        c.raw(h);
      },
      'frame_too_large',
    ],
    [
      'deep JSON',
      (c) => {
        const deep = Buffer.from('['.repeat(MAX_JSON_DEPTH + 2) + ']'.repeat(MAX_JSON_DEPTH + 2));
        const h = Buffer.alloc(5);
        h.writeUInt32BE(deep.length, 0);
        h.writeUInt8(1, 4);
        c.raw(Buffer.concat([h, deep]));
      },
      'too_deep',
    ],
    ['not JSON', (c) => c.raw(Buffer.from([0, 0, 0, 3, 1, 0x7b, 0x7b, 0x7b])), 'bad_frame'],
    ['wrong shape', (c) => c.json({ type: 'request', id: 'x', method: 'status.get' }), 'invalid_message'],
    ['second hello', (c) => c.hello(), 'invalid_message'],
    [
      'secret then a method without secret',
      (c) => c.secret('pw').json(req(2, 'status.get')),
      'invalid_message',
    ],
    ['two secrets in a row', (c) => c.secret('a').secret('b'), 'invalid_message'],
  ];
  for (const [name, send, code] of cases) {
    it(`${name} → ${code} and close, while another client keeps working`, async () => {
      const t = await setup();
      const good = await connect(t.socketPath);
      const bad = await RawClient.connect(t.socketPath);
      bad.hello();
      await bad.waitFor((m) => m.type === 'welcome');
      send(bad);
      expect((await bad.waitFor((m) => m.type === 'error')).error).toMatchObject({ code });
      await bad.waitClosed();
      expect((await good.request('status.get', {})).platform).toBe('linux');
      expect(t.calls.filter((c) => c.method === 'recoveryKey.create')).toEqual([]);
      good.close();
    });
  }

  it('answers unknown methods, bad params and a secretless escrow per request, keeping the connection', async () => {
    const t = await setup();
    const c = await RawClient.connect(t.socketPath);
    c.hello(await ownToken(t.socketPath));
    await c.waitFor((m) => m.type === 'welcome');
    c.json(req(1, 'disk.format'))
      .json(req(2, 'status.get', { extra: 1 }))
      .json(req(3, 'recoveryKey.create'));
    c.json(req(4, 'status.get'));
    const err = (id: number) => c.waitFor((m) => m.id === id).then((m) => (m.error as { code: string }).code);
    expect(await err(1)).toBe('unknown_method');
    expect(await err(2)).toBe('invalid_message');
    expect(await err(3)).toBe('invalid_message');
    expect(await c.waitFor((m) => m.id === 4)).toMatchObject({ ok: true });
    expect(t.calls.map((x) => x.method)).toEqual(['status.get']);
  });

  it('limits requests in flight per connection and drops a client that never reads', async () => {
    const t = await setup({ limits: { maxInFlight: 1, maxQueuedWriteBytes: 64 * 1024 } });
    const c = await RawClient.connect(t.socketPath);
    c.hello(await ownToken(t.socketPath));
    await c.waitFor((m) => m.type === 'welcome');
    c.secret('hold').json(req(1, 'recoveryKey.create')).secret('x').json(req(2, 'recoveryKey.create'));
    expect(await c.waitFor((m) => m.id === 2)).toMatchObject({ ok: false, error: { code: 'busy' } });
    t.release();
    expect(await c.waitFor((m) => m.id === 1)).toMatchObject({ ok: true });

    // A reader that stops reading: pause its socket and flood it with events.
    const slow = await RawClient.connect(t.socketPath);
    slow.hello();
    await slow.waitFor((m) => m.type === 'welcome');
    slow.socket.pause();
    const good = await connect(t.socketPath);
    for (let i = 0; i < 2000 && !slow.socket.destroyed; i++) {
      t.server.broadcast({ type: 'event', event: 'status', data: await good.request('status.get', {}) });
      if (t.server.connectionCount() < 3) break;
    }
    expect(t.server.connectionCount()).toBe(2); // c and good remain; slow was dropped
    expect((await good.request('status.get', {})).hostname).toBe('test-host');
    good.close();
  });

  it('a client run as nobody gets not_permitted for escrow, cannot read root’s token, and nothing happens', async () => {
    const t = await setup();
    const out = await runAsNobody(t);
    expect(out.rootToken).toBe('EACCES');
    expect(out.peer).toEqual({ uid: null, name: 'anonymous', mayEscrow: false });
    expect(out.status).toBe('test-host');
    expect(out.escrow).toBe('not_permitted');
    expect(out.remind).toBe('not_permitted');
    expect(t.calls.map((c) => c.method)).toEqual(['status.get']);
  });
});

describe('IPC server: a real second user', () => {
  it('--allow-user nobody: nobody reads its own token file, is identified as uid 65534 and may escrow', async () => {
    const nobody = await resolveUser('nobody');
    expect(nobody).toEqual({ uid: 65534, name: 'nobody' });
    const t = await setup({ extraUsers: [nobody] });
    const out = await runAsNobody(t);
    expect(out.peer).toEqual({ uid: 65534, name: 'nobody', mayEscrow: true });
    expect(out.escrow).toBe('ok');
    expect(out.rootToken).toBe('EACCES'); // still cannot read root's token
    expect(t.calls.map((c) => [c.method, c.peer, c.secret])).toContainEqual([
      'recoveryKey.create',
      'nobody',
      'pw',
    ]);
  });
});

/** Runs NOBODY_CLIENT (bundled with the real AgentClient) as the user nobody; returns what it saw. */
async function runAsNobody(t: { dir: string; socketPath: string }) {
  await chmod(t.dir, 0o755);
  const script = path.join(t.dir, 'nobody-client.mjs');
  await build({
    stdin: { contents: NOBODY_CLIENT, resolveDir: import.meta.dirname, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: script,
    logLevel: 'silent',
  });
  await chmod(script, 0o644);
  const { stdout } = await run('su', ['nobody', '-s', '/bin/bash', '-c', `node ${script} ${t.socketPath}`]);
  return JSON.parse(stdout.trim());
}

const NOBODY_CLIENT = `
import { readFileSync } from 'node:fs';
import { AgentClient } from '../../node-lib/agent-socket/client.ts';
import { tokenFileFor } from '../../node-lib/agent-socket/socket-paths.ts';
const socketPath = process.argv[2];
const out = {};
try { readFileSync(tokenFileFor(socketPath, 0)); out.rootToken = 'readable'; } catch (e) { out.rootToken = e.code; }
const c = await AgentClient.connect({ socketPath, clientName: 'escrowctl', clientVersion: 'nobody' });
out.peer = c.welcome.peer;
out.status = (await c.request('status.get', {})).hostname;
out.escrow = await c.request('recoveryKey.create', {}, Buffer.from('pw')).then(() => 'ok', (e) => e.code);
out.remind = await c.request('luks.remindLater', {}).then(() => 'ok', (e) => e.code);
c.close();
console.log(JSON.stringify(out));
`;

function req(id: number, method: string, params: unknown = {}) {
  return { type: 'request', id, method, params };
}

async function ownToken(socketPath: string): Promise<string> {
  return (await readFile(tokenFileFor(socketPath, 0), 'utf8')).trim();
}

describe('IPC server: a flood from another local user', () => {
  /** root's escrowctl status, `n` times, each on a new connection: what each attempt answered. */
  async function rootStatus(socketPath: string, n = 5): Promise<string[]> {
    const results: string[] = [];
    for (let i = 0; i < n; i++) {
      results.push(
        await connect(socketPath)
          .then(async (c) => {
            const s = await c.request('status.get', {});
            c.close();
            return s.hostname;
          })
          .catch((e: AgentRequestError) => `${e.code}: ${e.message}`),
      );
    }
    return results;
  }

  async function flood(t: { dir: string; socketPath: string }, args: string[]) {
    const script = await bundleForNobody(FLOOD_CLIENT, t.dir);
    return startAsNobody<FloodReady, { stillOpen: number; opened: number }>(script, [t.socketPath, ...args]);
  }

  /**
   * SECURITY.md promises that a user allowed to talk to the agent cannot lock the others out. Before the
   * per-user budget, 300 connections holding nobody's valid token filled all 64 places and root's status
   * failed 5 of 5 times with "too many connections" (checked by running this test against the old server.ts).
   */
  it('nobody holding 300 connections with its own valid token: root still gets status 5 of 5', async () => {
    const t = await setup({ extraUsers: [await resolveUser('nobody')] });
    const f = await flood(t, ['300', 'own', '3000']);
    expect(await rootStatus(t.socketPath)).toEqual(Array(5).fill('test-host'));
    // The flood got its own budget (8), and every other hello a clear answer.
    expect(f.ready.welcomed).toBe(8);
    expect(f.ready.welcomed + f.ready.refused + f.ready.closed).toBe(300);
    await f.finished;
  });

  it('nobody connecting in a loop without a hello (300 at a time): root still gets status 5 of 5', async () => {
    const t = await setup();
    const f = await flood(t, ['300', 'silent', '3000', 'reopen']);
    expect(await rootStatus(t.socketPath)).toEqual(Array(5).fill('test-host'));
    const end = await f.finished;
    expect(end.opened).toBeGreaterThan(300); // it really kept connecting
  });

  it('nobody connecting in a loop with anonymous hellos (300 at a time): root still gets status 5 of 5', async () => {
    const t = await setup();
    const f = await flood(t, ['300', 'none', '3000', 'reopen']);
    expect(await rootStatus(t.socketPath)).toEqual(Array(5).fill('test-host'));
    expect(f.ready.welcomed).toBeLessThanOrEqual(16);
    await f.finished;
  });
});

type FloodReady = { welcomed: number; refused: number; closed: number; connectErrors: number; open: number };
