// The escrow server for the admin benches, in its own process (see admin-fleet.mjs for the messages).
import { startServer } from '../../dist/src-server/server.js';

/** @import { AdminServerSetup } from './admin-fleet.mjs' */

/**
 * admin-fleet.mjs forks this process with an IPC channel, so process.send is there.
 * @param {unknown} message
 */
const send = (message) => /** @type {NonNullable<typeof process.send>} */ (process.send)(message);

const { dataDir, databaseUrl } = /** @type {AdminServerSetup} */ (
  await new Promise((resolve) => process.once('message', resolve))
);
const server = await startServer({
  dataDir,
  ...(databaseUrl ? { databaseUrl } : {}),
  verifySchedule: false,
  snapshotSchedule: false,
  logLevel: 'warn',
  verifyWorkers: 0,
});
send({ url: server.url });
process.on('disconnect', () => process.exit(1));

/** @type {NodeJS.Timeout | undefined} */
let sampler;
let peak = { rss: 0, heapUsed: 0 };
process.on('message', async (m) => {
  if (m === 'memory') {
    global.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    send({ rss, heapUsed });
  } else if (m === 'peak-start') {
    peak = { rss: 0, heapUsed: 0 };
    sampler = setInterval(() => {
      const { rss, heapUsed } = process.memoryUsage();
      peak = { rss: Math.max(peak.rss, rss), heapUsed: Math.max(peak.heapUsed, heapUsed) };
    }, 20);
    send({ ok: true });
  } else if (m === 'peak-stop') {
    clearInterval(sampler);
    send(peak);
  } else if (m === 'stop') {
    await server.close();
    process.exit(0);
  }
});
