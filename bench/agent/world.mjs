// Shared setup for the agent benches: a real escrow server (in this process, SQLite in a temp dir), a
// LUKS2 image file, and the real agent as a child process (bin/escrow-agent → dist/). Run `npm run build`
// first. Root is needed (socket tokens are chowned; cryptsetup on the image).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AgentClient } from '../../dist/node-lib/agent-socket/client.js';
import { tokenFileFor } from '../../dist/node-lib/agent-socket/socket-paths.js';
import { initDataDir } from '../../dist/src-server/init.js';
import { startServer } from '../../dist/src-server/server.js';
import { adminApi } from '../lib/admin-api.mjs';

export const FAST_KDF = ['--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000', '--hash', 'sha256'];

/**
 * @param {number[]} sorted ascending
 * @param {number} p the percentile, 0–100
 * @returns {number | undefined} undefined only when `sorted` is empty
 */
export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * @typedef {object} WorldOptions
 * @property {string} passphrase the user's passphrase on the image's first slot
 * @property {boolean} [defaultKdf] format the image with cryptsetup's default KDF (argon2), not FAST_KDF
 * @property {string[]} [agentArgs] more arguments for `escrow-agent run`
 * @property {string[]} [nodeArgs] run the shim on this Node with these flags
 * @property {string | undefined} [agentCommand] another agent program to run instead of the shim
 */

/** @param {WorldOptions} options */
export async function makeWorld({
  passphrase,
  defaultKdf = false,
  agentArgs = [],
  nodeArgs = [],
  agentCommand,
}) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'escrow-bench-'));
  const dataDir = path.join(root, 'server');
  const init = await initDataDir({ dataDir });
  const server = await startServer({
    dataDir,
    verifySchedule: false,
    logLevel: 'warn',
    rateLimits: { keyRead: { burst: 1000, perSecond: 100 } },
  });
  // When the server acknowledges a key: its store holds it (the 204 goes out right after, in the same turn).
  /** @type {number | null} */
  let keyStoredAt = null;
  const storeKey = server.store.storeKey.bind(server.store);
  server.store.storeKey = async (...args) => {
    const stored = await storeKey(...args);
    keyStoredAt = performance.now();
    return stored;
  };
  const image = path.join(root, 'disk.img');
  writeFileSync(image, '');
  truncateSync(image, 32 * 1024 * 1024);
  const kdf = defaultKdf ? [] : FAST_KDF;
  execFileSync('cryptsetup', ['luksFormat', '--type', 'luks2', '-q', ...kdf, '--key-file=-', image], {
    input: passphrase,
  });
  const secretFile = path.join(root, 'enroll-secret');
  writeFileSync(secretFile, init.enroll_secret, { mode: 0o600 });
  mkdirSync(path.join(root, 'state'), { mode: 0o700 });
  const socketPath = path.join(root, 'run', 'agent.sock');
  /** @type {string[]} */
  const agentLog = [];
  // Run the installed shim itself (its shebang sets Node's flags), unless a bench asks for other flags or
  // another program (agentCommand: the agent executable through its launcher, bench/agent/idle.mjs).
  const shim = path.resolve(import.meta.dirname, '../../bin/escrow-agent');
  const agent = spawn(
    agentCommand ?? (nodeArgs.length > 0 ? process.execPath : shim),
    [
      ...(nodeArgs.length > 0 ? [...nodeArgs, shim] : []),
      'run',
      '--server',
      server.url,
      '--enroll-secret-file',
      secretFile,
      '--state-dir',
      path.join(root, 'state'),
      '--socket',
      socketPath,
      '--luks-device',
      image,
      ...agentArgs,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  agent.stdout.on('data', (d) => agentLog.push(String(d)));
  const deadline = Date.now() + 20_000;
  while (!existsSync(tokenFileFor(socketPath, 0))) {
    if (Date.now() > deadline) throw new Error(`agent did not start:\n${agentLog.join('')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const admin = adminApi(server.url, init.admin_token);
  const connect = () =>
    AgentClient.connect({ socketPath, clientName: 'desktop', clientVersion: 'bench', timeoutMs: 600_000 });
  return {
    root,
    image,
    server,
    agent,
    agentLog,
    admin,
    connect,
    /** performance.now() of the last key the server stored, or null. */
    keyStoredAt: () => keyStoredAt,
    async close() {
      agent.kill('SIGTERM');
      await new Promise((r) => agent.once('exit', r));
      await server.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * Polls `fn` until it returns something truthy, and returns that.
 * @template T
 * @param {() => T | Promise<T>} fn
 * @param {string} what for the timeout's message
 * @param {number} [timeoutMs]
 * @returns {Promise<T>}
 */
export async function waitFor(fn, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
