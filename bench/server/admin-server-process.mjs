// The escrow server for the admin benches, in its own process (see admin-fleet.mjs for the messages).
import { startServer } from '../../dist/src-server/server.js';

const { dataDir, databaseUrl } = await new Promise((resolve) => process.once('message', resolve));
const server = await startServer({
  dataDir,
  ...(databaseUrl ? { databaseUrl } : {}),
  verifySchedule: false,
  snapshotSchedule: false,
  logLevel: 'warn',
  verifyWorkers: 0,
});
process.send({ url: server.url });
process.on('disconnect', () => process.exit(1));

let sampler = null;
let peak = { rss: 0, heapUsed: 0 };
process.on('message', async (m) => {
  if (m === 'memory') {
    global.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    process.send({ rss, heapUsed });
  } else if (m === 'peak-start') {
    peak = { rss: 0, heapUsed: 0 };
    sampler = setInterval(() => {
      const { rss, heapUsed } = process.memoryUsage();
      peak = { rss: Math.max(peak.rss, rss), heapUsed: Math.max(peak.heapUsed, heapUsed) };
    }, 20);
    process.send({ ok: true });
  } else if (m === 'peak-stop') {
    clearInterval(sampler);
    process.send(peak);
  } else if (m === 'stop') {
    await server.close();
    process.exit(0);
  }
});
