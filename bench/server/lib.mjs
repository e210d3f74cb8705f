import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';

const here = new URL('.', import.meta.url);

/** Starts server-process.mjs with `hosts` enrolled; returns its URL, tokens and a request helper. */
export async function startBenchServer(setup) {
  if (!existsSync(new URL('../../dist/src-server/server.js', here))) {
    throw new Error('dist/ is missing: run `npm run build` first');
  }
  const child = fork(new URL('./server-process.mjs', here), [], {
    execArgv: ['--expose-gc', ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)],
    stdio: 'inherit',
  });
  const ask = (msg) =>
    new Promise((resolve) => {
      child.once('message', resolve);
      if (msg !== undefined) child.send(msg);
    });
  const ready = await ask(setup);
  return {
    ...ready,
    memory: () => ask('memory'),
    /** CPU time the server process used so far, in µs; deltas divide out the machine's other load. */
    cpuMicros: async () => {
      const { user, system } = await ask('cpu');
      return user + system;
    },
    waiting: async () => (await ask('waiting')).waiting,
    stop: async () => {
      const done = new Promise((r) => child.once('exit', r));
      child.send('stop');
      await done;
    },
  };
}

export const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
