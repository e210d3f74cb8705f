#!/usr/bin/env node
// `npm start`: the whole product on one machine, for real.
//   1. the escrow server on embedded SQLite in a temporary data dir (bin/escrow-server init + serve),
//   2. a LUKS2 image file protected by a demo passphrase, and the agent on it (bin/escrow-agent run),
//   3. the desktop app: Electron when it can start here, else the same UI served to a browser (--web).
// Everything lives in one temporary directory, removed on Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exitCause, requireNode } from './node-check.mjs';

requireNode('npm start');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const wantWeb = process.argv.includes('--web');
const passphrase = process.env.ESCROW_DEMO_PASSPHRASE || 'correct horse battery staple';
/** @type {import('node:child_process').ChildProcess[]} */
const children = [];
/** @type {(() => Promise<void>)[]} */
let cleanupTasks = [];
let stoppingAll = false;

function say(line = '') {
  process.stdout.write(`${line}\n`);
}

/** @param {string} message */
function fail(message) {
  process.stderr.write(`\ndemo: ${message}\n`);
  void shutdown(1);
}

async function shutdown(code = 0) {
  if (stoppingAll) return;
  stoppingAll = true;
  for (const child of children) child.kill('SIGTERM');
  for (const task of cleanupTasks.reverse()) await task().catch(() => {});
  cleanupTasks = [];
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
// Any unexpected error still stops the server and agent this script started, and removes the temp dir.
process.on('uncaughtException', (err) => fail(err.message));
process.on('unhandledRejection', (err) => fail(err instanceof Error ? err.message : String(err)));

/**
 * @param {string} cmd
 * @param {string} hint
 */
function requireTool(cmd, hint) {
  const found = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim();
  if (!found) fail(`${cmd} is not installed: ${hint}`);
  return found;
}

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      // Listening on a TCP port, so address() is an AddressInfo (a string only for a pipe or socket path).
      const { port } = /** @type {import('node:net').AddressInfo} */ (s.address());
      s.close(() => resolve(port));
    });
  });
}

/**
 * @param {string} name
 * @param {string} cmd
 * @param {string[]} args
 * @param {Record<string, string>} [env]
 */
function start(name, cmd, args, env = {}) {
  const child = spawn(cmd, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const logPath = path.join(workDir, `${name}.log`);
  const log = createWriteStream(logPath);
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  child.on('exit', (code, signal) => {
    if (!stoppingAll) fail(`${name} stopped (${exitCause(code, signal)}); see ${logPath}`);
  });
  return child;
}

/** @param {string} url */
async function waitForServer(url) {
  for (let i = 0; i < 100; i++) {
    try {
      // An unauthenticated admin call answers 401 as soon as the server is up.
      const res = await fetch(`${url}/api/latest/fleet/hosts`);
      if (res.status === 401) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  fail(`the escrow server did not come up at ${url}`);
}

/** @param {string} file */
async function waitForFile(file) {
  for (let i = 0; i < 150; i++) {
    if (existsSync(file)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  fail(`the agent did not open its socket ${file}`);
}

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {string} [input]
 */
function run(cmd, args, input) {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
  if (r.status !== 0)
    fail(
      `${path.basename(cmd)} ${args[0]} failed (${exitCause(r.status, r.signal)})${r.stderr.trim() ? `: ${r.stderr.trim()}` : ''}`,
    );
  return r.stdout;
}

/** Why Electron cannot start here, or null when it can. */
function electronUnavailable() {
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return 'no display (neither DISPLAY nor WAYLAND_DISPLAY is set)';
  }
  try {
    const binary = createRequire(import.meta.url)('electron');
    return typeof binary === 'string' && existsSync(binary) ? null : 'the Electron binary is not installed';
  } catch {
    return 'the Electron binary is not installed (npm ci ran with ELECTRON_SKIP_BINARY_DOWNLOAD=1?)';
  }
}

// ---------------------------------------------------------------------------------------------------------

if (passphrase.includes('\n')) fail('ESCROW_DEMO_PASSPHRASE must not contain a newline');
const cryptsetup = requireTool('cryptsetup', 'install it (Debian/Ubuntu: apt-get install cryptsetup-bin)');
if (
  !existsSync(path.join(root, 'dist', 'src-server', 'cli.js')) ||
  !existsSync(path.join(root, 'dist', 'renderer'))
) {
  say('Building first (npm run build)…');
  if (spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' }).status !== 0)
    fail('build failed');
}

const workDir = await mkdtemp(path.join(os.tmpdir(), 'escrow-demo-'));
cleanupTasks.push(() => rm(workDir, { recursive: true, force: true }));

// 1. Server
const serverDir = path.join(workDir, 'server');
// The fields of `escrow-server init --json` this script uses.
/** @type {{ admin_token: string, enroll_secret: string }} */
const init = JSON.parse(
  run(path.join(root, 'bin/escrow-server'), ['init', '--data-dir', serverDir, '--json']),
);
const port = await freePort();
const serverUrl = `http://127.0.0.1:${port}`;
start('server', path.join(root, 'bin/escrow-server'), [
  'serve',
  '--data-dir',
  serverDir,
  '--listen',
  `127.0.0.1:${port}`,
]);
await waitForServer(serverUrl);
/**
 * @param {string} method
 * @param {string} p
 * @param {unknown} [body]
 */
const admin = (method, p, body) =>
  fetch(`${serverUrl}/api/latest/fleet${p}`, {
    method,
    headers: { authorization: `Bearer ${init.admin_token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const enabled = await admin('POST', '/disk_encryption', { team_id: null, enable_disk_encryption: true });
if (enabled.status !== 204) fail(`could not turn on disk encryption escrow (${enabled.status})`);
// A person to sign in to the admin console with (the password goes over stdin, never argv).
const consoleEmail = 'admin@demo.example';
const consolePassword = randomBytes(12).toString('base64url');
run(
  path.join(root, 'bin/escrow-server'),
  ['add-user', '--data-dir', serverDir, '--email', consoleEmail, '--role', 'admin', '--password-stdin'],
  `${consolePassword}\n`,
);

// 2. A LUKS2 disk image. The user's slot uses argon2id like a real install, with a 1 s target and 64 MiB
//    so the demo stays light; the escrow slot the agent adds uses its real default.
const image = path.join(workDir, 'disk.img');
run('truncate', ['-s', '32M', image]);
run(
  cryptsetup,
  [
    'luksFormat',
    '--type',
    'luks2',
    '--batch-mode',
    '--pbkdf',
    'argon2id',
    '--iter-time',
    '1000',
    '--pbkdf-memory',
    '65536',
    '--key-file=-',
    image,
  ],
  passphrase,
);

// 3. Agent
const secretFile = path.join(workDir, 'enroll-secret');
await writeFile(secretFile, `${init.enroll_secret}\n`, { mode: 0o600 });
const socketPath = path.join(workDir, 'run', 'agent.sock');
await mkdir(path.dirname(socketPath), { recursive: true });
start('agent', path.join(root, 'bin/escrow-agent'), [
  'run',
  '--server',
  serverUrl,
  '--enroll-secret-file',
  secretFile,
  '--state-dir',
  path.join(workDir, 'agent-state'),
  '--socket',
  socketPath,
  '--luks-device',
  image,
  '--allow-user',
  os.userInfo().username,
]);
await waitForFile(socketPath);

// 4. Desktop app
let desktopLine;
const whyNotElectron = wantWeb ? 'asked for --web' : electronUnavailable();
if (whyNotElectron === null) {
  const electron = createRequire(import.meta.url)('electron');
  start('desktop', electron, [root], { ESCROW_AGENT_SOCKET: socketPath });
  desktopLine = 'Desktop app: running in Electron (look for the Escrow Desktop icon in the tray / menu bar).';
} else {
  // A computed path, so the checker needs to be told which module it is.
  const { startWebDesktop } = /** @type {typeof import('../dist/web-harness/web-desktop.js')} */ (
    await import(path.join(root, 'dist/web-harness/web-desktop.js'))
  );
  const web = await startWebDesktop({ socketPath });
  cleanupTasks.push(() => web.close());
  desktopLine = `Desktop app in a browser (Electron: ${whyNotElectron}):\n    ${web.url}`;
}

say('');
say('Escrow Desktop demo is running.');
say(`  ${desktopLine}`);
say(`  Disk image:      ${image}`);
say(`  Its passphrase:  ${passphrase}`);
say(`  Escrow server:   ${serverUrl}  (admin token: ${init.admin_token})`);
say(
  `  Admin console:   ${serverUrl}/admin/${existsSync(path.join(root, 'dist', 'console', 'index.html')) ? '' : '  (not built yet)'}`,
);
say(`    sign in as ${consoleEmail} with ${consolePassword}`);
say('  After you create the recovery key, read it back as an admin:');
say(
  `    curl -s -H 'authorization: Bearer ${init.admin_token}' ${serverUrl}/api/latest/fleet/hosts/1/encryption_key?reason=demo`,
);
say(`  Agent socket:    ${socketPath}`);
say('  The same flow from a terminal:');
say(`    bin/escrowctl --socket ${socketPath} status`);
say(`    bin/escrowctl --socket ${socketPath} escrow-luks`);
say(`  Logs: ${workDir}/*.log`);
say('Press Ctrl-C to stop and remove everything.');
