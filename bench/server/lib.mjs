import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';

const here = new URL('.', import.meta.url);

/** @import { Platform } from '../../dist/ipc/agent-server/orbit-api.js' */
// The messages of the fork IPC channel to server-process.mjs (its header lists the exchange).
/**
 * @typedef {{ hosts: number, encryption: boolean, platform?: Platform }} BenchServerSetup
 * @typedef {{ url: string, adminToken: string, nodeKeys: string[] }} BenchServerReady
 * @typedef {{ rss: number, heapUsed: number }} BenchServerMemory
 * @typedef {{ waiting: number }} BenchServerWaiting
 */

/**
 * Starts server-process.mjs with `hosts` enrolled; returns its URL, tokens and a request helper.
 * @param {BenchServerSetup} setup
 */
export async function startBenchServer(setup) {
  if (!existsSync(new URL('../../dist/src-server/server.js', here))) {
    throw new Error('dist/ is missing: run `npm run build` first');
  }
  const child = fork(new URL('./server-process.mjs', here), [], {
    execArgv: ['--expose-gc', ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)],
    stdio: 'inherit',
  });
  // IPC messages arrive untyped: each caller below says which answer its question gets.
  /** @param {BenchServerSetup | 'memory' | 'cpu' | 'waiting'} [msg] */
  const ask = (msg) =>
    new Promise((resolve) => {
      child.once('message', resolve);
      if (msg !== undefined) child.send(msg);
    });
  const ready = /** @type {BenchServerReady} */ (await ask(setup));
  return {
    ...ready,
    memory: () => /** @type {Promise<BenchServerMemory>} */ (ask('memory')),
    /** CPU time the server process used so far, in µs; deltas divide out the machine's other load. */
    cpuMicros: async () => {
      const { user, system } = /** @type {NodeJS.CpuUsage} */ (await ask('cpu'));
      return user + system;
    },
    waiting: async () => /** @type {BenchServerWaiting} */ (await ask('waiting')).waiting,
    stop: async () => {
      const done = new Promise((r) => child.once('exit', r));
      child.send('stop');
      await done;
    },
  };
}

/** @param {number} bytes */
export const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
