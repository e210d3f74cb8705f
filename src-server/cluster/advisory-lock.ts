import pg from 'pg';

/** Advisory lock numbers of this program (any fixed numbers; storage/sql-store.ts has the migrations'). */
export const VERIFY_JOB_LOCK = 0x65_73_63_31;

/**
 * Runs work while holding a PostgreSQL session advisory lock, on a connection of its own (a pooled one
 * could be handed to another query while the lock is held, or released with it still held). Whoever
 * comes second waits for the lock, then runs: if the holder finished, that run finds nothing left to do;
 * if the holder died, its session ended, PostgreSQL released the lock and this run does the rest.
 */
export class AdvisoryLock {
  private client: pg.Client | null = null;
  /** Holding the lock right now / waiting for it (metrics). */
  holding = false;
  waiting = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly key: number,
    private readonly name: string,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      application_name: `${this.name} (pid ${process.pid})`,
    });
    client.on('error', () => undefined);
    this.client = client;
    try {
      await client.connect();
      this.waiting = true;
      await client.query('SELECT pg_advisory_lock($1)', [this.key]);
      this.waiting = false;
      this.holding = true;
      return await work();
    } finally {
      this.waiting = false;
      this.holding = false;
      this.client = null;
      // Ending the session releases the lock even if the unlock cannot be sent.
      await client.end().catch(() => undefined);
    }
  }

  /** Shutdown: a run waiting for the lock gives up (its query fails) instead of holding the server open. */
  async stop(): Promise<void> {
    if (this.waiting) await this.client?.end().catch(() => undefined);
  }
}
