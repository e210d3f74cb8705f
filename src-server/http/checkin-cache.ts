import type { ServerSettings } from '../domain/config.js';
import type { HostChange } from '../storage/change-tracking-store.js';
import type { HostView } from '../storage/port.js';
import type { PreparedConfig } from './prepared-configs.js';

/** What a config check-in needs about its host, derived from the host's view. */
export interface CheckinEntry {
  hostId: number;
  lastSeenMs: number;
  removingEnforcement: boolean;
  /** The settings object the config was built with; a rotated certificate makes a new one. */
  settings: ServerSettings;
  prepared: PreparedConfig;
}

/** Enough for a large fleet; an entry is a few hundred bytes (the config bodies are shared). */
export const DEFAULT_MAX_ENTRIES = 100_000;

/**
 * Node-key digest → the host's check-in answer, in memory. A check-in is the hottest request the server
 * has (every agent, all the time) and its answer changes rarely, so it should not cost three SQL lookups,
 * a config digest and a JSON serialization each time.
 *
 * Kept correct by the store's change feed (ChangeTrackingStore): every write that can change a host's view
 * drops that host's entry (or all entries) both when it starts and when it ends, and bumps a generation.
 * A miss reads the database and keeps the answer only if no write started or ended during that read, so a
 * read that saw the state before a write can never be cached after it. Looked up by SHA-256 digest of the
 * node key, as the database lookup is: the map's timing reveals nothing about a stored key's bytes.
 *
 * Several servers on one PostgreSQL hear each other's writes through the cluster change feed
 * (src-server/cluster/): `barrier` holds a lookup until every change announced before it has been applied
 * here, and `bypass` turns the cache off while that feed is down.
 */
export class CheckinCache {
  private readonly byNodeKey = new Map<string, CheckinEntry>();
  private readonly nodeKeyOfHost = new Map<number, string>();
  private generation = 0;
  private bypassing = false;
  /** Awaited before every lookup (the cluster's catch-up barrier); none for one server alone. */
  barrier: (() => Promise<void>) | null = null;
  /** Answers from memory and from the database (metrics). */
  hits = 0;
  misses = 0;

  constructor(
    private readonly readView: (nodeKeyHash: string) => Promise<HostView | null>,
    private readonly prepare: (view: HostView, settings: ServerSettings) => PreparedConfig,
    private readonly settings: () => ServerSettings,
    private readonly maxEntries = DEFAULT_MAX_ENTRIES,
  ) {}

  get size(): number {
    return this.byNodeKey.size;
  }

  /** The host's current entry, or null when no host has this node key. */
  async lookup(nodeKeyHash: string): Promise<CheckinEntry | null> {
    if (this.barrier) await this.barrier();
    const settings = this.settings();
    const hit = this.byNodeKey.get(nodeKeyHash);
    if (hit && hit.settings === settings) {
      this.hits += 1;
      return hit;
    }
    this.misses += 1;
    const generation = this.generation;
    const view = await this.readView(nodeKeyHash);
    if (!view) return null;
    const entry: CheckinEntry = {
      hostId: view.host.id,
      lastSeenMs: Date.parse(view.host.last_seen_at),
      removingEnforcement: view.host.removing_enforcement,
      settings,
      prepared: this.prepare(view, settings),
    };
    if (generation === this.generation && !this.bypassing) this.remember(nodeKeyHash, entry);
    return entry;
  }

  /** The listener for ChangeTrackingStore. */
  readonly onChange = (change: HostChange): void => {
    if (change.kind === 'touched') {
      // last_seen_at only throttles the next touch; the config is unchanged, so the entry stays.
      const entry = this.entryOfHost(change.hostId);
      if (entry) entry.lastSeenMs = Date.now();
      return;
    }
    this.generation += 1;
    if (change.kind === 'all') {
      this.byNodeKey.clear();
      this.nodeKeyOfHost.clear();
      return;
    }
    for (const id of change.hostIds) this.forgetHost(id);
  };

  /** On: nothing is cached (and what was is dropped) until turned off again. */
  bypass(on: boolean): void {
    this.bypassing = on;
    this.onChange({ kind: 'all' });
  }

  private entryOfHost(hostId: number): CheckinEntry | undefined {
    const key = this.nodeKeyOfHost.get(hostId);
    return key === undefined ? undefined : this.byNodeKey.get(key);
  }

  private remember(nodeKeyHash: string, entry: CheckinEntry): void {
    this.forgetHost(entry.hostId);
    this.byNodeKey.delete(nodeKeyHash);
    if (this.byNodeKey.size >= this.maxEntries) {
      const oldest = this.byNodeKey.entries().next().value;
      if (oldest) this.forgetHost(oldest[1].hostId);
    }
    this.byNodeKey.set(nodeKeyHash, entry);
    this.nodeKeyOfHost.set(entry.hostId, nodeKeyHash);
  }

  private forgetHost(hostId: number): void {
    const key = this.nodeKeyOfHost.get(hostId);
    if (key === undefined) return;
    this.nodeKeyOfHost.delete(hostId);
    this.byNodeKey.delete(key);
  }
}
