import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_API_PATHS } from '../../ipc/agent-server/orbit-api.js';
import { loopbackAddress, requestFrom } from '../test-support/raw-http.js';
import {
  BITLOCKER_KEY,
  config,
  enroll,
  envelopeFor,
  hostIdentity,
  luksKey,
  startTestServer,
  type TestServer,
} from '../test-support/server.js';
import type { RateLimits } from './rate-limit.js';

/**
 * Issue 18, findings 3 and 6: the decryption oracle and enroll guessing, with small limits so each test
 * is quick (the attack suite replays the reported attacks against the default limits).
 *
 * Checked that each fails without the fix: on the commit before it, the oracle test sees the garbage
 * host's config ask for escrow straight after its 204; the per-secret and global check tests find every
 * one of the 16 envelopes checked; the submission and new-host tests get no 429; the global enroll test
 * gets 80 × 401 from eight addresses; the log test finds 80 warning lines.
 */

let t: TestServer;
afterEach(async () => {
  await t?.close();
});

const NEVER = { burst: 0, perSecond: 0 };
const PLENTY = { burst: 10_000, perSecond: 10_000 };
const LAVISH: Partial<RateLimits> = {
  enroll: PLENTY,
  enrollGlobal: PLENTY,
  newHostsPerSecret: PLENTY,
  keySubmit: PLENTY,
  keySubmitPerSecret: PLENTY,
  keySubmitGlobal: PLENTY,
  keyCheckPerHost: PLENTY,
  keyCheckPerSecret: PLENTY,
  keyCheckGlobal: PLENTY,
};
const start = (limits: Partial<RateLimits>) => startTestServer({ rateLimits: { ...LAVISH, ...limits } });
const ADMIN = () => t.init.admin_token;

async function luksData(nodeKey: string, envelope: string) {
  return t.post(AGENT_API_PATHS.luksData, {
    orbit_node_key: nodeKey,
    key_slot: 1,
    salt: 's',
    base64_encrypted: envelope,
    client_error: '',
  });
}

/** An envelope the server cannot accept as a LUKS key (right certificate, wrong shape of key). */
const garbage = (nodeKey: string) => envelopeFor(t, nodeKey, BITLOCKER_KEY);

/** Decryptability checks run on arrival (each is one query of the oracle), from the server's log. */
const checksRun = () =>
  t
    .logs()
    .split('\n')
    .filter((l) => l.includes('"msg":"escrowed key checked"')).length;

async function checkedKeys(): Promise<number> {
  const views = await t.server.store.listHostViews({});
  return views.filter((v) => v.key?.decryptable !== null && v.key?.decryptable !== undefined).length;
}

describe('decryptability is an oracle: what an agent learns, and how often', () => {
  it('a refused envelope looks like an accepted one until the (rate-limited) check has run', async () => {
    t = await start({ keyCheckGlobal: NEVER });
    await t.post(
      '/api/latest/fleet/disk_encryption',
      { team_id: null, enable_disk_encryption: true },
      ADMIN(),
    );
    const good = await enroll(t);
    const bad = await enroll(t);
    const answers = [
      await luksData(good.nodeKey, await envelopeFor(t, good.nodeKey, luksKey(1))),
      await luksData(bad.nodeKey, await garbage(bad.nodeKey)),
    ];
    const seen = await Promise.all(
      answers.map(async (r) => ({
        status: r.status,
        body: await r.text(),
        headers: [...r.headers.keys()].filter((h) => h !== 'date').sort(),
      })),
    );
    expect(seen[0]).toEqual(seen[1]);
    expect(seen[0]?.status).toBe(204);
    // Straight after: the same flags for both, and the host list says "verifying" for both.
    const [goodConfig, badConfig] = [await config(t, good.nodeKey), await config(t, bad.nodeKey)];
    expect(badConfig.notifications).toEqual(goodConfig.notifications);
    expect(badConfig.notifications.run_disk_encryption_escrow).toBe(false);
    expect(await checkedKeys()).toBe(0);
    // Once checked (here by the job, as the arrival checks may not run), the bad one is asked again.
    await t.server.verifyKeysNow();
    expect((await config(t, bad.nodeKey)).notifications.run_disk_encryption_escrow).toBe(true);
    expect((await config(t, good.nodeKey)).notifications.run_disk_encryption_escrow).toBe(false);
  });

  it('fresh hosts bring no fresh check budget: checks are limited per enroll secret', async () => {
    t = await start({
      keyCheckPerHost: { burst: 1, perSecond: 0 },
      keyCheckPerSecret: { burst: 5, perSecond: 0 },
    });
    const hosts = [];
    for (let i = 0; i < 8; i++) hosts.push(await enroll(t));
    for (const h of hosts)
      for (let n = 0; n < 2; n++)
        expect((await luksData(h.nodeKey, await garbage(h.nodeKey))).status).toBe(204);
    await new Promise((r) => setTimeout(r, 300));
    expect(checksRun()).toBe(5);
  });

  it('and overall, whatever the secret', async () => {
    t = await start({ keyCheckGlobal: { burst: 3, perSecond: 0 } });
    for (let i = 0; i < 8; i++) {
      const h = await enroll(t);
      await luksData(h.nodeKey, await garbage(h.nodeKey));
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(checksRun()).toBe(3);
    expect(await checkedKeys()).toBe(3);
  });

  it('a check that had to wait runs once its buckets refill', async () => {
    t = await start({ keyCheckGlobal: { burst: 1, perSecond: 20 } });
    for (let i = 0; i < 4; i++) {
      const h = await enroll(t);
      await luksData(h.nodeKey, await envelopeFor(t, h.nodeKey, luksKey(i)));
    }
    await t.server.keyChecksSettled();
    expect(await checkedKeys()).toBe(4);
  });

  it('submissions are limited per enroll secret and overall, not only per host', async () => {
    t = await start({ keySubmitPerSecret: { burst: 5, perSecond: 0 } });
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) {
      const h = await enroll(t);
      codes.push(
        (await t.post(AGENT_API_PATHS.luksData, { orbit_node_key: h.nodeKey, client_error: 'e' })).status,
      );
    }
    expect(codes).toEqual([204, 204, 204, 204, 204, 429, 429]);
    await t.close();
    t = await start({ keySubmitGlobal: { burst: 2, perSecond: 0 } });
    const h = await enroll(t);
    const r = [];
    for (let i = 0; i < 3; i++) r.push((await luksData(h.nodeKey, await garbage(h.nodeKey))).status);
    expect(r).toEqual([204, 204, 429]);
  });

  it('new hosts per enroll secret are capped (the host table cannot grow without bound); re-enrolls do not count', async () => {
    t = await start({ newHostsPerSecret: { burst: 3, perSecond: 0 } });
    const uuid = randomUUID();
    for (let i = 0; i < 5; i++) await enroll(t, 'linux', uuid); // one host, re-enrolled: one token
    await enroll(t);
    await enroll(t);
    const refused = await t.post(AGENT_API_PATHS.enroll, {
      enroll_secret: t.init.enroll_secret,
      ...hostIdentity(),
    });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await t.server.store.listHostViews({})).toHaveLength(3);
  });
});

describe('enroll guessing', () => {
  it('is limited overall, not only per address: eight addresses share one budget', async () => {
    t = await start({ enroll: { burst: 100, perSecond: 0 }, enrollGlobal: { burst: 20, perSecond: 0 } });
    const codes: Record<number, number> = {};
    for (let a = 0; a < 8; a++) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          requestFrom(t.url, {
            path: AGENT_API_PATHS.enroll,
            body: { enroll_secret: 'guess', ...hostIdentity() },
            localAddress: loopbackAddress(a),
          }),
        ),
      );
      for (const r of answers) codes[r.status] = (codes[r.status] ?? 0) + 1;
    }
    expect(codes).toEqual({ 401: 20, 429: 60 });
  });

  it('logs a wrong secret once, then one summary line per interval with the count', async () => {
    t = await start({});
    for (let a = 0; a < 8; a++) {
      await Promise.all(
        Array.from({ length: 10 }, () =>
          requestFrom(t.url, {
            path: AGENT_API_PATHS.enroll,
            body: { enroll_secret: 'guess', ...hostIdentity() },
            localAddress: loopbackAddress(a),
          }),
        ),
      );
    }
    const lines = () =>
      t
        .logs()
        .split('\n')
        .filter((l) => l.includes('enroll refused: wrong enroll secret'))
        .map((l) => JSON.parse(l) as { msg: string; count?: number; sources?: number; ip?: string });
    expect(lines()).toHaveLength(1);
    expect(lines()[0]?.ip).toBe(loopbackAddress(0));
    await t.server.close(); // the pending summary is written at shutdown (else at the end of the interval)
    const [, summary] = lines();
    expect(lines()).toHaveLength(2);
    expect(summary).toMatchObject({ count: 79, sources: 8 });
    expect(summary?.msg).toMatch(/\(79 more in the last 60 s\)$/);
  });
});
