import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '../test-support/postgres.js';
import { openPostgres } from './postgres.js';

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

describe('PostgreSQL transactions', () => {
  it('a transaction aborted by a deadlock runs again, so both sides of the deadlock succeed', async () => {
    const db = openPostgres(await pg.newDatabase());
    await db.exec(
      "CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL); INSERT INTO t VALUES ('a', 0), ('b', 0)",
    );
    // Two transactions lock a then b, and b then a, each waiting until the other holds its first lock: a
    // certain deadlock on the first attempt. PostgreSQL aborts one (40P01); it must be run again.
    let arrived = 0;
    let release: () => void = () => {};
    const bothHoldOne = new Promise<void>((r) => {
      release = r;
    });
    const attempts = { ab: 0, ba: 0 };
    const lockInOrder = (first: string, second: string, name: 'ab' | 'ba') =>
      db.transaction(async (tx) => {
        attempts[name]++;
        await tx.run('UPDATE t SET v = v + 1 WHERE k = ?', [first]);
        if (attempts[name] === 1) {
          if (++arrived === 2) release();
          await bothHoldOne;
        }
        await tx.run('UPDATE t SET v = v + 1 WHERE k = ?', [second]);
        return name;
      });
    const results = await Promise.allSettled([lockInOrder('a', 'b', 'ab'), lockInOrder('b', 'a', 'ba')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(attempts.ab + attempts.ba).toBe(3); // one of them ran twice
    expect(await db.all('SELECT k, v FROM t ORDER BY k')).toEqual([
      { k: 'a', v: 2 },
      { k: 'b', v: 2 },
    ]);
    await db.close();
  });

  it('other errors are not retried', async () => {
    const db = openPostgres(await pg.newDatabase());
    let runs = 0;
    await expect(
      db.transaction(async (tx) => {
        runs++;
        await tx.run('SELECT * FROM no_such_table');
      }),
    ).rejects.toMatchObject({ code: '42P01' });
    expect(runs).toBe(1);
    await db.close();
  });
});
