import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { errorMessage } from '../../node-lib/error-message.js';
import type { Logger } from '../../node-lib/logger.js';
import type { HostChange } from '../storage/change-tracking-store.js';

/** The PostgreSQL channel every server of one database listens on. */
export const CHANGES_CHANNEL = 'escrow_changes';

/** NOTIFY payloads are capped at 8000 bytes; a longer host list is sent as "every host". */
const MAX_PAYLOAD = 7000;

/** How long a check-in waits for a change it knows was announced before giving up on the channel. */
const CATCH_UP_MS = 2000;

const RECONNECT_MS = 1000;

/** The listening connection's application_name (pg_stat_activity shows which connection it is). */
export const LISTENER_NAME = 'escrow-server change listener';

export interface ChangeFeedDeps {
  databaseUrl: string;
  /** A change another server made: drop what is cached of it and wake the agents it concerns. */
  apply(change: HostChange): Promise<void>;
  /** The channel broke: from now until onRecovered, caches must not be trusted (changes go unheard). */
  onLost(): void;
  /** The channel is back; what was missed meanwhile is unknown, so everything is re-read. */
  onRecovered(): Promise<void>;
  log: Logger;
}

/** What a notification says of a change; `seq server ` goes before it (numbered in SQL). */
export function changeBody(change: HostChange): string {
  const body =
    change.kind === 'hosts' ? JSON.stringify({ hosts: change.hostIds }) : JSON.stringify({ all: true });
  return body.length > MAX_PAYLOAD ? '{"all":true}' : body;
}

export function decodeChange(payload: string): { seq: number; server: string; change: HostChange } | null {
  const m = /^(\d+) (\S+) (\{.*\})$/s.exec(payload);
  if (!m) return null;
  try {
    const body = JSON.parse(m[3] as string) as { hosts?: unknown; all?: unknown };
    const hosts = body.hosts;
    const change: HostChange =
      Array.isArray(hosts) && hosts.every((h) => Number.isSafeInteger(h))
        ? { kind: 'hosts', hostIds: hosts as number[] }
        : { kind: 'all' };
    return { seq: Number(m[1]), server: m[2] as string, change };
  } catch {
    return null;
  }
}

/**
 * Keeps the caches of several servers on one PostgreSQL coherent (decision 0030).
 *
 * Every write that changes what agents see is announced before it is answered: one statement bumps the
 * `cluster_changes` sequence and NOTIFYs the change with that number. The row lock makes the numbers
 * follow commit order, which is also the order notifications are delivered in. Each server applies what
 * it hears in order and remembers the last number applied.
 *
 * `caughtUp()` is the barrier a cached answer waits behind: it reads the sequence (one query shared by all
 * check-ins arriving meanwhile, always one started after the caller arrived) and waits until every change
 * up to it has been applied here. A write acknowledged anywhere has its number in the table by then, so no
 * answer served after the acknowledgement can come from a cache that predates it.
 *
 * The listening connection is a dedicated client (a pooled one could be handed back with LISTEN gone).
 * When it breaks, notifications are lost: the owner bypasses its caches until it is back.
 */
export class ChangeFeed {
  readonly serverId = randomUUID();
  private listener: pg.Client | null = null;
  private readonly pool: pg.Pool;
  private applied = 0;
  private applying: Promise<void> = Promise.resolve();
  private waitingFor: { seq: number; resolve(): void }[] = [];
  private probing: Promise<number> | null = null;
  private nextProbe: Promise<number> | null = null;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  /** Changes heard from other servers (metrics). */
  received = 0;

  private constructor(private readonly deps: ChangeFeedDeps) {
    this.pool = new pg.Pool({ connectionString: deps.databaseUrl, max: 4 });
    this.pool.on('error', () => undefined);
  }

  static async start(deps: ChangeFeedDeps): Promise<ChangeFeed> {
    const feed = new ChangeFeed(deps);
    try {
      await feed.listen();
    } catch (err) {
      await feed.pool.end();
      throw err;
    }
    return feed;
  }

  /** Whether changes of other servers are being heard (readiness). */
  get listening(): boolean {
    return this.listener !== null;
  }

  /** Tells every server (this one too, which only counts it) about a committed write. */
  async announce(change: HostChange): Promise<void> {
    if (this.closed || change.kind === 'touched') return;
    // The payload carries its own number, so it is built in SQL from the bumped row.
    await this.pool.query(
      `WITH s AS (UPDATE cluster_changes SET seq = seq + 1 WHERE id = 1 RETURNING seq)
       SELECT pg_notify($1, (SELECT seq FROM s)::text || ' ' || $2 || ' ' || $3)`,
      [CHANGES_CHANNEL, this.serverId, changeBody(change)],
    );
  }

  /** Resolves once every change announced before this call has been applied here (see the class). */
  async caughtUp(): Promise<void> {
    if (!this.listening) return;
    const seq = await this.currentSeq();
    if (seq <= this.applied || !this.listening) return;
    const heard = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), CATCH_UP_MS);
      this.waitingFor.push({
        seq,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      });
    });
    if (!heard && this.listening) {
      this.deps.log.warn(
        { seq, applied: this.applied },
        'cluster changes not heard in time; listening again',
      );
      this.lost();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const l = this.listener;
    this.listener = null;
    for (const w of this.waitingFor.splice(0)) w.resolve();
    await l?.end().catch(() => undefined);
    await this.applying;
    await this.pool.end();
  }

  /** The sequence now, from a query started after this call (joining one already in flight would not be). */
  private currentSeq(): Promise<number> {
    if (!this.probing) {
      this.probing = this.pool
        .query<{ seq: number }>('SELECT seq FROM cluster_changes WHERE id = 1')
        .then((r) => Number(r.rows[0]?.seq ?? 0))
        .finally(() => {
          this.probing = null;
        });
      return this.probing;
    }
    this.nextProbe ??= this.probing
      .catch(() => 0)
      .then(() => {
        this.nextProbe = null;
        return this.currentSeq();
      });
    return this.nextProbe;
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.deps.databaseUrl,
      application_name: LISTENER_NAME,
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (msg) => {
      if (msg.channel !== CHANGES_CHANNEL || msg.payload === undefined) return;
      const heard = decodeChange(msg.payload);
      if (!heard) return;
      this.applying = this.applying.then(() => this.take(heard));
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
      // Everything up to here is re-read by the owner (start, or onRecovered), so it counts as applied.
      const r = await client.query<{ seq: number }>('SELECT seq FROM cluster_changes WHERE id = 1');
      this.applied = Math.max(this.applied, Number(r.rows[0]?.seq ?? 0));
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.listener = client;
  }

  private async take(heard: { seq: number; server: string; change: HostChange }): Promise<void> {
    if (heard.server !== this.serverId) {
      this.received += 1;
      await this.deps.apply(heard.change).catch((err: unknown) => {
        this.deps.log.error({ err: errorMessage(err) }, 'could not apply a change of another server');
      });
    }
    this.applied = Math.max(this.applied, heard.seq);
    this.waitingFor = this.waitingFor.filter((w) => {
      if (w.seq > this.applied) return true;
      w.resolve();
      return false;
    });
  }

  private lost(client: pg.Client | null = this.listener): void {
    if (client === null || client !== this.listener) return;
    this.listener = null;
    void client.end().catch(() => undefined);
    if (this.closed) return;
    this.deps.log.warn('lost the cluster change channel; caches are bypassed until it is back');
    this.deps.onLost();
    for (const w of this.waitingFor.splice(0)) w.resolve();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.listen()
        .then(async () => {
          await this.deps.onRecovered();
          this.deps.log.info('cluster change channel is back');
        })
        .catch(() => this.scheduleReconnect());
    }, RECONNECT_MS);
    this.reconnectTimer.unref();
  }
}
