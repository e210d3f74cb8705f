import { createHash, randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { AGENT_API_PATHS, type Platform } from '../../../../ipc/agent-server/orbit-api.js';
import { startPostgres, type TestPostgres } from '../../../../src-server/test-support/postgres.js';
import {
  type EnrolledHost,
  enroll,
  envelopeFor,
  luksKey,
  startTestServer,
  type TestServer,
} from '../../../../src-server/test-support/server.js';
import { newPage } from '../../test-support/browser.js';

/**
 * The real escrow server, in-process (SQLite, or PostgreSQL in a throw-away cluster), serving the built
 * console at /admin/, with people of every role and a fleet seeded straight through the store.
 */
export const PASSWORD = 'correct horse battery staple';
export const PEOPLE = {
  admin: 'ada@example.com',
  maintainer: 'max@example.com',
  helpdesk: 'hal@example.com',
  observer: 'olga@example.com',
} as const;
export type Person = keyof typeof PEOPLE;

export interface ConsoleRig {
  t: TestServer;
  url: string;
  /** A host enrolled through the agent API with a real, escrowed LUKS key. */
  /** `key` is the host's current key (a test that replaces it says so here). */
  keyed: EnrolledHost & { key: string };
  /**
   * A Mac whose agent reported (over the agent API) the person at its screen and a FileVault log-out
   * postponed `deferrals` times; it has no key yet.
   */
  mac: EnrolledHost & { user: string; deferrals: number };
  /** A Linux host whose agent sent HTML and script as its hostname, serial, user and escrow error. */
  hostile: { hostId: number; hostname: string; serial: string; user: string; clientError: string };
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

let postgres: TestPostgres | null = null;

export async function startConsoleRig(opts: {
  database: 'sqlite' | 'postgres';
  hosts: number;
}): Promise<ConsoleRig> {
  let databaseUrl: string | undefined;
  if (opts.database === 'postgres') {
    postgres ??= await startPostgres();
    databaseUrl = await postgres.newDatabase();
  }
  // The tests sign in dozens of times from one address within a minute; the sign-in limits themselves are
  // the server's own tests' business.
  const many = { burst: 1000, perSecond: 100 };
  const t = await startTestServer({
    ...(databaseUrl ? { databaseUrl } : {}),
    rateLimits: { signInAccount: many, signInAddress: many },
  });
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${t.url}/api/latest/fleet${path}`, {
      method,
      headers: {
        authorization: `Bearer ${t.init.admin_token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
  };
  const must = async (method: string, path: string, body?: unknown) => {
    const r = await api(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  for (const [role, email] of Object.entries(PEOPLE)) {
    await must('POST', '/users', {
      email,
      name: `${role[0]?.toUpperCase()}${role.slice(1)} Person`,
      role,
      password: PASSWORD,
    });
  }
  await must('POST', '/disk_encryption', { team_id: null, enable_disk_encryption: true });
  await must('POST', '/teams', { name: 'Engineering', enable_disk_encryption: true, reason_required: true });
  // The keyed host first: enroll() finds its id on the first page of the host list.
  const host = await enroll(t, 'linux');
  const key = luksKey(7);
  const res = await t.post(AGENT_API_PATHS.luksData, {
    orbit_node_key: host.nodeKey,
    key_slot: 1,
    salt: 'c2FsdA==',
    base64_encrypted: await envelopeFor(t, host.nodeKey, key),
    client_error: '',
  });
  if (res.status !== 204) throw new Error(`luks_data: ${res.status} ${await res.text()}`);
  const mac = { ...(await enroll(t, 'darwin')), user: 'grace.hopper', deferrals: 4 };
  const report = await t.post(AGENT_API_PATHS.diskEncryptionStatus, {
    orbit_node_key: mac.nodeKey,
    platform: 'darwin',
    boot_volume_encrypted: true,
    filevault: { enabled: true, has_personal_recovery_key: false },
    agent_version: 'test',
    logged_in_user: mac.user,
    logout_deferrals: mac.deferrals,
  });
  if (report.status !== 204)
    throw new Error(`disk_encryption_status: ${report.status} ${await report.text()}`);
  const hostile = await enrollHostile(t);
  await seedHosts(t, opts.hosts);

  return {
    t,
    url: t.url,
    keyed: { ...host, key },
    mac,
    hostile,
    api,
    close: () => t.close(),
  };
}

/**
 * Markup an agent (or someone holding a node key) could send: each string would run script or change the
 * page if the console put it into HTML instead of text. `window.__xss` is set by any of them that runs.
 */
async function enrollHostile(t: TestServer): Promise<ConsoleRig['hostile']> {
  const hostname = '<img src=x onerror="window.__xss=1">hostile';
  const serial = '<script>window.__xss=2</script>';
  const user = '<b onmouseover="window.__xss=3">mallory</b>';
  const clientError = '</td><iframe srcdoc="<script>parent.__xss=4</script>"></iframe>';
  const enrolled = await t.post(AGENT_API_PATHS.enroll, {
    enroll_secret: t.init.enroll_secret,
    hardware_uuid: randomBytes(16).toString('hex'),
    hardware_serial: serial,
    hostname,
    platform: 'linux',
    os_version: 'Debian 12 <i>',
  });
  if (enrolled.status !== 200) throw new Error(`enroll: ${enrolled.status} ${await enrolled.text()}`);
  const nodeKey = ((await enrolled.json()) as { orbit_node_key: string }).orbit_node_key;
  const sent = [
    await t.post(AGENT_API_PATHS.diskEncryptionStatus, {
      orbit_node_key: nodeKey,
      platform: 'linux',
      boot_volume_encrypted: true,
      agent_version: 'test',
      logged_in_user: user,
    }),
    await t.post(AGENT_API_PATHS.luksData, { orbit_node_key: nodeKey, client_error: clientError }),
  ];
  for (const r of sent) if (r.status !== 204) throw new Error(`hostile host: ${r.status} ${await r.text()}`);
  const view = await t.server.store.findHostByIdentifier(serial, null);
  if (!view) throw new Error('hostile host not stored');
  return { hostId: view.host.id, hostname, serial, user, clientError };
}

/** Stops the shared PostgreSQL cluster, if a rig started one. */
export async function stopPostgres(): Promise<void> {
  await postgres?.stop();
  postgres = null;
}

const PLATFORMS: readonly Platform[] = ['linux', 'darwin', 'windows'];

/**
 * `n` hosts straight through the store (no HTTP, no real envelopes): enough to make search, paging and the
 * charts real. Serials are `SEED` + six digits, hostnames `seed-host-N`. Three in five get a stored key
 * marked decryptable (so "verified"); the rest have none. The fleet arrives over the last 30 days, with a
 * daily status snapshot written after each day's hosts, so the dashboard's history has 30 days.
 */
export async function seedHosts(t: TestServer, n: number): Promise<void> {
  const store = t.server.store;
  const days = 30;
  const perDay = Math.ceil(n / days);
  for (let d = 0; d < days; d++) {
    const jobs: Promise<unknown>[] = [];
    for (let i = d * perDay; i < Math.min(n, (d + 1) * perDay); i++) jobs.push(seedOne(t, i));
    await Promise.all(jobs);
    await store.writeDailySnapshot(
      new Date(Date.now() - (days - 1 - d) * 86_400_000).toISOString().slice(0, 10),
    );
  }
}

async function seedOne(t: TestServer, i: number): Promise<void> {
  const platform = PLATFORMS[i % 3] as Platform;
  const { hostId } = await t.server.store.enrollHost(
    {
      hardware_uuid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      hardware_serial: seedSerial(i),
      hostname: `seed-host-${i}`,
      platform,
      os_version: platform === 'linux' ? 'Debian 12' : platform === 'darwin' ? 'macOS 15.1' : 'Windows 11',
    },
    createHash('sha256').update(randomBytes(16)).digest('hex'),
  );
  if (i % 5 < 3) {
    await t.server.store.storeKey(hostId, {
      base64_encrypted: randomBytes(48).toString('base64'),
      key_slot: 1,
      salt: null,
      decryptable: true,
      escrow_id: null,
    });
  }
}

export const seedSerial = (i: number) => `SEED${String(i).padStart(6, '0')}`;

/** Signs in on the page that is showing the sign-in form, and waits for the console to come back. */
export async function signIn(page: Page, who: Person): Promise<void> {
  await page.getByLabel('Email').fill(PEOPLE[who]);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

/** A new page (own context, so its own session) signed in as `who`, showing `path`. */
export async function consolePage(
  browser: Browser,
  rig: ConsoleRig,
  who: Person,
  path = '/admin/',
  options: { colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number } } = {},
): Promise<Page> {
  const page = await newPage(browser, { viewport: { width: 1280, height: 900 }, ...options });
  await page.goto(`${rig.url}${path}`);
  await page.getByLabel('Email').waitFor();
  await signIn(page, who);
  return page;
}
