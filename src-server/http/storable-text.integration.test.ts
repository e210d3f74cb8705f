import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AGENT_API_PATHS } from '../../ipc/agent-server/orbit-api.js';
import { enroll, hostIdentity, startTestServer, type TestServer } from '../test-support/server.js';
import { sameStoredText } from './stored-text.js';

/**
 * Finding 5 (issue 18): a team name with an unpaired surrogate was a 500, and such strings were stored as
 * U+FFFD without a word. Checked that these fail without the fix: with `text()` back to a plain
 * `z.string().max()`, the first test gets 200 then 500 (the second name collides in the database's UNIQUE
 * index after both became U+FFFD) and the enroll test stores "host-\uFFFD"; without the retry in
 * POST /teams, the concurrent test gets 500s from the UNIQUE index.
 */

let t: TestServer;
beforeEach(async () => {
  t = await startTestServer({ rateLimits: { enroll: { burst: 100, perSecond: 100 } } });
});
afterEach(async () => {
  await t.close();
});

const H = '/api/latest/fleet';
const ADMIN = () => t.init.admin_token;

describe('strings that are not storable text are a 400 at the schema', () => {
  it('team names: unpaired surrogates and NUL are refused, the field named', async () => {
    for (const name of ['ops\uD800', 'ops\uDC00', '\uDFFF\uD800', 'ops\0']) {
      const res = await t.post(`${H}/teams`, { name }, ADMIN());
      expect(res.status, JSON.stringify(name)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/^name: must be well-formed Unicode/);
    }
    const ok = await t.post(`${H}/teams`, { name: 'ops 👩‍💻' }, ADMIN());
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { team: { name: string } }).team.name).toBe('ops 👩‍💻');
  });

  it('agent fields: a host name with an unpaired surrogate is refused, nothing stored', async () => {
    const res = await t.post(AGENT_API_PATHS.enroll, {
      enroll_secret: t.init.enroll_secret,
      ...hostIdentity(),
      hostname: 'laptop-\uD83D',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^hostname: must be well-formed Unicode/);
    expect(await t.server.store.listHostViews({})).toEqual([]);
    const { nodeKey } = await enroll(t);
    const report = await t.post(AGENT_API_PATHS.luksData, {
      orbit_node_key: nodeKey,
      client_error: 'x\uDC00',
    });
    expect(report.status).toBe(400);
  });

  it('the same team name created many times at once is one 200 and 409s, never a 500', async () => {
    // Every request reads the team list before any of them inserts (as on a busy PostgreSQL): the
    // database's UNIQUE index decides, and its refusal must be the 409 the early check would have given.
    const store = t.server.store;
    const listTeams = store.listTeams.bind(store);
    store.listTeams = async () => {
      const teams = await listTeams();
      await new Promise((r) => setTimeout(r, 100));
      return teams;
    };
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => t.post(`${H}/teams`, { name: 'Race' }, ADMIN())),
    );
    const codes = answers.map((r) => r.status).sort();
    expect(codes).toEqual([200, ...Array(11).fill(409)]);
  });
});

describe('sameStoredText compares as the database stores (UTF-8 bytes)', () => {
  it('equal and different names', () => {
    expect(sameStoredText('Ops', 'Ops')).toBe(true);
    expect(sameStoredText('Ops', 'ops')).toBe(false);
    // Precomposed é and e + combining accent are different bytes, so different names to the database.
    expect(sameStoredText('caf\u00e9', 'cafe\u0301')).toBe(false);
    // Two different unpaired surrogates both become U+FFFD in UTF-8: one name to the database.
    expect(sameStoredText('a\uD800', 'a\uD801')).toBe(true);
  });
});
