import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AgentClient, type AgentRequestError } from '../../node-lib/agent-socket/client.js';
import { resolveUser } from '../ipc-server/allowed-users.js';
import {
  bundleForNobody,
  FLOOD_CLIENT,
  runAsNobody,
  startAsNobody,
} from '../ipc-server/test-support/as-nobody.js';
import { recordingHandlers, startTestIpc } from '../ipc-server/test-support/ipc-helpers.js';
import { SOCKET_FUZZ_CLIENT } from './test-support/socket-fuzz-client.js';

/**
 * The agent's socket against another local account (issue 18, attack suite): the account `nobody` floods
 * it and feeds it a seeded fuzz of the protocol, while root keeps asking for its status. Every case must
 * be answered or closed in time, nothing may reach a handler that needs rights nobody lacks, the agent must
 * hold no connection after nobody is gone, and root must get its status every time. Counts are printed for
 * README.
 */

const SEED = 18_2026;
const FUZZ_CASES = 2000;
const HELLO_TIMEOUT_MS = 1000;
const cleanups: (() => Promise<void>)[] = [];
const counts: string[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
afterAll(() => {
  console.log(`agent socket attacks as nobody: ${counts.join('; ')}`);
});

async function setup(extra = {}) {
  const rec = recordingHandlers();
  const ipc = await startTestIpc(rec.handlers, { limits: { helloTimeoutMs: HELLO_TIMEOUT_MS }, ...extra });
  cleanups.push(ipc.cleanup);
  return { ...rec, ...ipc };
}

/** root's status, `n` times, each on a new connection: what each attempt answered. */
async function rootStatus(socketPath: string, n = 5): Promise<string[]> {
  const results: string[] = [];
  for (let i = 0; i < n; i++) {
    results.push(
      await AgentClient.connect({
        socketPath,
        clientName: 'escrowctl',
        clientVersion: 'test',
        timeoutMs: 5000,
      })
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

async function drained(count: () => number, ms = 5000): Promise<number> {
  const until = Date.now() + ms;
  while (count() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  return count();
}

type FuzzResult = {
  cases: number;
  answered: number;
  closed: number;
  hung: number;
  connectErrors: number;
  byKind: Record<string, number>;
  hungKinds: Record<string, number>;
};

describe('agent socket: attacks from another local account (attack suite)', () => {
  it(`${FUZZ_CASES} seeded malformed and hostile exchanges as nobody: each answered or closed in time, no rights gained`, async () => {
    const t = await setup();
    const script = await bundleForNobody(
      SOCKET_FUZZ_CLIENT,
      t.dir,
      join(import.meta.dirname, 'test-support'),
    );
    const deadline = HELLO_TIMEOUT_MS + 3000;
    const result = await runAsNobody<FuzzResult>(
      script,
      [t.socketPath, String(FUZZ_CASES), String(SEED), '12', String(deadline)],
      300_000,
    );
    counts.push(`fuzz ${result.cases} cases (seed ${SEED}), ${result.hung} hung`);
    expect(result.hungKinds).toEqual({});
    expect(result.hung).toBe(0);
    expect(result.connectErrors).toBe(0);
    expect(result.answered + result.closed).toBe(FUZZ_CASES);
    expect(Object.keys(result.byKind).length).toBeGreaterThanOrEqual(15); // every kind was tried
    // nobody holds no token: nothing that needs rights ever ran.
    expect(t.calls.filter((c) => c.method !== 'status.get')).toEqual([]);
    expect(await drained(() => t.server.connectionCount())).toBe(0);
    expect(await rootStatus(t.socketPath)).toEqual(Array(5).fill('test-host'));
  });

  it('floods as nobody (own token, silent, anonymous; 300 at a time, reconnecting): root gets status 5 of 5 during each', async () => {
    const t = await setup({ extraUsers: [await resolveUser('nobody')] });
    const script = await bundleForNobody(FLOOD_CLIENT, t.dir);
    let connections = 0;
    for (const mode of ['own', 'silent', 'none']) {
      const f = await startAsNobody<{ welcomed: number }, { stillOpen: number; opened: number }>(script, [
        t.socketPath,
        '300',
        mode,
        '3000',
        'reopen',
      ]);
      expect(await rootStatus(t.socketPath), mode).toEqual(Array(5).fill('test-host'));
      // Budgets: nobody's own token 8 connections, anonymous 16 (admission.ts).
      if (mode === 'own') expect(f.ready.welcomed).toBeLessThanOrEqual(8);
      if (mode === 'none') expect(f.ready.welcomed).toBeLessThanOrEqual(16);
      connections += (await f.finished).opened;
    }
    counts.push(`floods ${connections} connections, root status 15 of 15`);
    expect(await drained(() => t.server.connectionCount())).toBe(0);
  });
});
