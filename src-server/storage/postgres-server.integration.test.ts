import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_API_PATHS } from '../../ipc/agent-server/orbit-api.js';
import { addAdminToken } from '../init.js';
import { startPostgres, type TestPostgres } from '../test-support/postgres.js';
import { config, enroll, envelopeFor, luksKey, startTestServer } from '../test-support/server.js';

/** The whole server on PostgreSQL (init included), not only the storage suite. */
let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

describe('escrow server on PostgreSQL', () => {
  it('runs init, enroll, escrow, long-poll wake-up, key read and roles end to end', async () => {
    const databaseUrl = await postgres.newDatabase();
    const t = await startTestServer({ databaseUrl });
    try {
      const observer = await addAdminToken({ dataDir: t.dataDir, databaseUrl, role: 'observer', name: 'o' });
      const { nodeKey, hostId } = await enroll(t);
      const before = await config(t, nodeKey);
      const held = t.post(AGENT_API_PATHS.config, {
        orbit_node_key: nodeKey,
        wait_for_change: { after_version: before.config_version, timeout_seconds: 50 },
      });
      while (t.server.waitingAgents() === 0) await new Promise((r) => setTimeout(r, 10));
      await t.post(
        '/api/latest/fleet/disk_encryption',
        { team_id: null, enable_disk_encryption: true },
        t.init.admin_token,
      );
      const woke = (await (await held).json()) as { notifications: { run_disk_encryption_escrow: boolean } };
      expect(woke.notifications.run_disk_encryption_escrow).toBe(true);

      const key = luksKey(41);
      const res = await t.post(AGENT_API_PATHS.luksData, {
        orbit_node_key: nodeKey,
        key_slot: 2,
        salt: 's',
        base64_encrypted: await envelopeFor(t, nodeKey, key),
        client_error: '',
      });
      expect(res.status).toBe(204);
      expect(
        (await t.get(`/api/latest/fleet/hosts/${hostId}/encryption_key?reason=support%20call`, observer))
          .status,
      ).toBe(403);
      const read = (await (
        await t.get(
          `/api/latest/fleet/hosts/${hostId}/encryption_key?reason=support%20call`,
          t.init.admin_token,
        )
      ).json()) as {
        encryption_key: { key: string };
      };
      expect(read.encryption_key.key).toBe(key);
      const summary = (await (await t.get('/api/latest/fleet/disk_encryption', observer)).json()) as {
        verified: { linux: number };
      };
      expect(summary.verified.linux).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('keeps serving after the database restarts under it (broken pooled connections are replaced)', async () => {
    const databaseUrl = await postgres.newDatabase();
    const t = await startTestServer({ databaseUrl });
    try {
      const { nodeKey } = await enroll(t);
      await config(t, nodeKey);
      postgres.restart();
      // Give the pool's idle connections time to notice the break (that is what used to end the process).
      await new Promise((r) => setTimeout(r, 200));
      let status = 0;
      for (let i = 0; i < 5 && status !== 200; i++) {
        status = (await t.post(AGENT_API_PATHS.config, { orbit_node_key: nodeKey })).status;
      }
      expect(status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
