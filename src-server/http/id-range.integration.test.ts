import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-support/server.js';

/**
 * Ids are 32-bit INTEGER in both databases. A larger one in a path, query or body reached PostgreSQL and
 * came back as a 500 ("out of range for type integer"; the attack suite's fuzzer found it); SQLite just
 * found nothing. It is a 400 at the schema now. Checked that it fails without the fix: the first request
 * is a 404 on SQLite (and a 500 on PostgreSQL in the fuzzer).
 */

let t: TestServer;
beforeEach(async () => {
  t = await startTestServer();
});
afterEach(async () => {
  await t.close();
});
const H = '/api/latest/fleet';
const ADMIN = () => t.init.admin_token;

describe('ids beyond 32 bits are a 400', () => {
  it('in paths, queries and bodies', async () => {
    const big = 2 ** 31;
    expect((await t.get(`${H}/hosts/${big}`, ADMIN())).status).toBe(400);
    expect((await t.get(`${H}/hosts/${big}/archived_encryption_keys`, ADMIN())).status).toBe(400);
    expect((await t.post(`${H}/hosts/${big}/rotate_encryption_key`, {}, ADMIN())).status).toBe(400);
    expect((await t.get(`${H}/hosts?team_id=${big}`, ADMIN())).status).toBe(400);
    expect((await t.get(`${H}/activities?after_id=${big}`, ADMIN())).status).toBe(400);
    expect((await t.post(`${H}/hosts/transfer`, { team_id: null, hosts: [big] }, ADMIN())).status).toBe(400);
    expect(
      (await t.post(`${H}/disk_encryption`, { team_id: big, enable_disk_encryption: true }, ADMIN())).status,
    ).toBe(400);
    expect((await t.get(`${H}/hosts/${big - 1}`, ADMIN())).status).toBe(404);
  });
});
