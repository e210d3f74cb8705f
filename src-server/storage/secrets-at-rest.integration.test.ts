import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AGENT_API_PATHS } from '../../ipc/agent-server/orbit-api.js';
import {
  config,
  enroll,
  envelopeFor,
  luksKey,
  startTestServer,
  type TestServer,
} from '../test-support/server.js';
import { SQLITE_FILE } from './open.js';

/** Every place a secret could leak to on disk or in logs, searched as raw bytes. */
function leaks(haystacks: Record<string, Buffer | string>, needle: string): string[] {
  return Object.entries(haystacks)
    .filter(([, hay]) => (typeof hay === 'string' ? Buffer.from(hay) : hay).includes(Buffer.from(needle)))
    .map(([where]) => where);
}

let t: TestServer;
beforeEach(async () => {
  t = await startTestServer();
});
afterEach(async () => {
  await t.close();
});

describe('no secret in the database or the logs', () => {
  it('a known recovery key, the node key, the enroll secret and the admin token appear nowhere in clear', async () => {
    const recoveryKey = luksKey(9);
    await t.post(
      '/api/latest/fleet/disk_encryption',
      { team_id: null, enable_disk_encryption: true },
      t.init.admin_token,
    );
    const { nodeKey, hostId } = await enroll(t);
    const res = await t.post(AGENT_API_PATHS.luksData, {
      orbit_node_key: nodeKey,
      key_slot: 4,
      salt: 'salt',
      base64_encrypted: await envelopeFor(t, nodeKey, recoveryKey),
      client_error: '',
    });
    expect(res.status).toBe(204);
    // A malformed body carrying the key must not reach the logs either (parser errors quote input).
    await fetch(t.url + AGENT_API_PATHS.luksData, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"orbit_node_key": "${nodeKey}", "base64_encrypted": "${recoveryKey}`,
    });
    await config(t, nodeKey);
    const read = await (
      await t.get(
        `/api/latest/fleet/hosts/${hostId}/encryption_key?reason=support%20call`,
        t.init.admin_token,
      )
    ).text();
    // The search works: the one place the key may appear is the admin's answer.
    expect(leaks({ adminResponse: read }, recoveryKey)).toEqual(['adminResponse']);

    const db = join(t.dataDir, SQLITE_FILE);
    expect(existsSync(`${db}-wal`)).toBe(true);
    // Owner-only, WAL included: the envelopes and digests are nobody else's business either.
    expect(statSync(db).mode & 0o777).toBe(0o600);
    expect(statSync(`${db}-wal`).mode & 0o777).toBe(0o600);
    const whileRunning = {
      database: readFileSync(db),
      wal: readFileSync(`${db}-wal`),
      logs: t.logs(),
    };
    expect(t.logs()).toContain('key escrowed');
    for (const secret of [recoveryKey, nodeKey, t.init.enroll_secret, t.init.admin_token]) {
      expect(leaks(whileRunning, secret)).toEqual([]);
    }
    await t.server.close();
    const afterClose = { database: readFileSync(db), logs: t.logs() };
    for (const secret of [recoveryKey, nodeKey, t.init.enroll_secret, t.init.admin_token]) {
      expect(leaks(afterClose, secret)).toEqual([]);
    }
  });
});
