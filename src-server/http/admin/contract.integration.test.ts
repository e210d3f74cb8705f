import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  ActivitiesResponse,
  AdminError,
  ApiTokensResponse,
  ArchivedKeysResponse,
  CreateApiTokenResponse,
  DashboardResponse,
  HistoryResponse,
  HostCountResponse,
  HostListResponse,
  HostResponse,
  MeResponse,
  NeedsAttentionResponse,
  OrgResponse,
  RevealResponse,
  TeamResponse,
  TeamsResponse,
  TransferHostsResponse,
  UserResponse,
  UsersResponse,
} from '../../../ipc/admin/admin-api.js';
import { AGENT_API_PATHS } from '../../../ipc/agent-server/orbit-api.js';
import { addUser, call, type Session, signIn } from '../../test-support/admin.js';
import { enroll, envelopeFor, luksKey, startTestServer, type TestServer } from '../../test-support/server.js';

/** Every answer the console reads parses with its schema in ipc/admin: the contract is what the server sends. */
let t: TestServer;
let session: Session;
let hostId: number;
let teamId: number;
beforeAll(async () => {
  t = await startTestServer();
  await addUser(t, 'root@example.com', 'admin');
  session = await signIn(t, 'root@example.com');
  const h = await enroll(t);
  hostId = h.hostId;
  await t.server.store.setDiskEncryption(null, true);
  for (const seed of [1, 2]) {
    await t.post(AGENT_API_PATHS.luksData, {
      orbit_node_key: h.nodeKey,
      key_slot: seed,
      salt: `s${seed}`,
      base64_encrypted: await envelopeFor(t, h.nodeKey, luksKey(seed)),
      client_error: '',
    });
  }
  await t.server.writeSnapshotNow();
});
afterAll(async () => {
  await t.close();
});

async function parsed<S extends z.ZodType>(schema: S, method: string, path: string, body?: unknown) {
  const res = await call(t, method, path, { session }, body);
  const json = (await res.json()) as unknown;
  expect(res.status, JSON.stringify(json)).toBeLessThan(300);
  const r = schema.safeParse(json);
  expect(r.error?.issues ?? [], `${method} ${path}`).toEqual([]);
  return r.data as z.infer<S>;
}

describe('answers match the contract', () => {
  it('people, sessions, tokens', async () => {
    await parsed(MeResponse, 'GET', '/me');
    await parsed(UsersResponse, 'GET', '/users');
    const made = await parsed(UserResponse, 'POST', '/users', {
      email: 'o@example.com',
      role: 'observer',
      password: 'a long enough password',
    });
    await parsed(UserResponse, 'PATCH', `/users/${made.user.id}`, { name: 'O' });
    await parsed(CreateApiTokenResponse, 'POST', '/api_tokens', { name: 'ci', role: 'helpdesk' });
    await parsed(ApiTokensResponse, 'GET', '/api_tokens');
  });

  it('hosts, keys, teams, dashboard, activities, organisation', async () => {
    await parsed(HostListResponse, 'GET', '/hosts?per_page=1');
    await parsed(HostCountResponse, 'GET', '/hosts/count');
    await parsed(HostResponse, 'GET', `/hosts/${hostId}`);
    await parsed(NeedsAttentionResponse, 'GET', '/hosts/needs_attention');
    await parsed(ArchivedKeysResponse, 'GET', `/hosts/${hostId}/archived_keys`);
    await parsed(RevealResponse, 'POST', `/hosts/${hostId}/encryption_key`, { reason: 'contract' });
    await parsed(ActivitiesResponse, 'GET', `/hosts/${hostId}/activities`);
    const team = await parsed(TeamResponse, 'POST', '/teams', { name: 'T', reason_required: false });
    teamId = team.team.id;
    await parsed(TeamResponse, 'PATCH', `/teams/${teamId}`, { rotate_after_reveal: true });
    await parsed(TeamResponse, 'GET', `/teams/${teamId}`);
    await parsed(TeamsResponse, 'GET', '/teams');
    await parsed(TransferHostsResponse, 'POST', '/hosts/transfer', { team_id: teamId, hosts: [hostId] });
    await parsed(DashboardResponse, 'GET', '/dashboard');
    await parsed(HistoryResponse, 'GET', '/dashboard/history');
    await parsed(ActivitiesResponse, 'GET', '/activities');
    await parsed(OrgResponse, 'GET', '/config');
    await parsed(OrgResponse, 'PATCH', '/config', { org_info: { org_name: 'Acme' } });
  });

  it('errors', async () => {
    for (const [method, path] of [
      ['GET', '/hosts?per_page=0'],
      ['GET', '/hosts/999999'],
      ['DELETE', '/sessions/current'],
    ] as const) {
      const res = await call(t, method, path, method === 'DELETE' ? { session, csrf: null } : { session });
      expect(AdminError.safeParse(await res.json()).success, path).toBe(true);
    }
    const unauth = await call(t, 'GET', '/hosts', null);
    expect(AdminError.parse(await unauth.json()).code).toBe('not_signed_in');
    const badJson = await fetch(`${t.url}/api/latest/fleet/teams`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: session.cookie, 'x-csrf-token': session.csrf },
      body: '{nope',
    });
    expect(AdminError.parse(await badJson.json())).toMatchObject({ code: 'invalid_request' });
  });
});
