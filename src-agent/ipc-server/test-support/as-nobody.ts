import { execFile, spawn } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const run = promisify(execFile);

/**
 * Bundles TypeScript source (with the repository's modules it imports) into `dir` as one file the local
 * account `nobody` can read and run. `dir` and the socket's directory must be traversable by others (0755),
 * as the agent's real /run/escrow-agent is.
 */
export async function bundleForNobody(
  source: string,
  dir: string,
  resolveDir = import.meta.dirname,
): Promise<string> {
  await chmod(dir, 0o755);
  const script = path.join(dir, `nobody-${Math.random().toString(36).slice(2)}.mjs`);
  await build({
    stdin: { contents: source, resolveDir, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: script,
    logLevel: 'silent',
  });
  await chmod(script, 0o644);
  return script;
}

/** Runs a bundled script as nobody to its end; its last stdout line is JSON. */
export async function runAsNobody<T>(script: string, args: string[], timeoutMs = 60_000): Promise<T> {
  const { stdout } = await run(
    'su',
    ['nobody', '-s', '/bin/bash', '-c', `exec node ${[script, ...args].join(' ')}`],
    { timeout: timeoutMs },
  );
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as T;
}

/**
 * Starts a bundled script as nobody in the background; resolves once it prints its first line (its "ready"
 * report, JSON), and gives its final report when it exits. The script must end by itself (bounded floods).
 */
export function startAsNobody<R, F>(
  script: string,
  args: string[],
): Promise<{ ready: R; finished: Promise<F>; kill(): void }> {
  const child = spawn('su', ['nobody', '-s', '/bin/bash', '-c', `exec node ${[script, ...args].join(' ')}`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const lines: string[] = [];
  let onLine: (() => void) | null = null;
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    let nl = out.indexOf('\n');
    while (nl >= 0) {
      lines.push(out.slice(0, nl));
      out = out.slice(nl + 1);
      nl = out.indexOf('\n');
    }
    onLine?.();
  });
  const finished = new Promise<F>((resolve, reject) => {
    child.once('exit', (code) => {
      const last = lines.at(-1);
      if (code === 0 && last) resolve(JSON.parse(last) as F);
      else reject(new Error(`nobody's script exited with ${code}; output: ${lines.join('\n')}`));
    });
  });
  finished.catch(() => {});
  return new Promise((resolve, reject) => {
    const check = () => {
      const first = lines[0];
      if (first === undefined) return;
      onLine = null;
      resolve({ ready: JSON.parse(first) as R, finished, kill: () => child.kill('SIGKILL') });
    };
    onLine = check;
    child.once('exit', (code) =>
      reject(new Error(`nobody's script exited early (${code}): ${lines.join('\n')}`)),
    );
  });
}

/**
 * A flood of connections from one local account, bounded in count and time. Arguments: socket path, `count`
 * connections, mode ('own' = hello with the account's own token, 'none' = hello without a token, 'silent' =
 * no hello at all), `holdMs`, and 'reopen' to open a new connection whenever the agent closes one (connecting
 * in a loop). Prints a ready line (how the agent answered the first `count`) and, after `holdMs`, a final
 * line ({ stillOpen, opened }); then exits.
 */
export const FLOOD_CLIENT = `
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { encodeJsonFrame, FrameDecoder } from '../../../node-lib/agent-socket/frame-codec.ts';
import { tokenFileFor } from '../../../node-lib/agent-socket/socket-paths.ts';
const [socketPath, countText, mode, holdText, reopenText] = process.argv.slice(2);
const count = Number(countText);
const holdMs = Number(holdText);
const reopen = reopenText === 'reopen';
const token = mode === 'own' ? readFileSync(tokenFileFor(socketPath, process.getuid()), 'utf8').trim() : undefined;
const tally = { welcomed: 0, refused: 0, closed: 0, connectErrors: 0, silent: 0 };
const sockets = new Set();
let stopping = false;
let opened = 0;
function open(onAnswer) {
  const s = net.connect(socketPath);
  opened++;
  sockets.add(s);
  const decoder = new FrameDecoder();
  let done = false;
  const finish = (what) => { if (!done) { done = true; tally[what]++; onAnswer?.(); } };
  s.on('connect', () => {
    if (mode === 'silent') return finish('silent');
    s.write(encodeJsonFrame({ type: 'hello', protocol: 1, client: { name: 'escrowctl', version: 'flood' }, ...(token ? { token } : {}) }));
  });
  s.on('data', (chunk) => {
    for (const f of decoder.push(chunk)) {
      if (f.kind !== 'json') continue;
      if (f.value.type === 'welcome') finish('welcomed');
      else if (f.value.type === 'error') finish('refused');
    }
  });
  s.on('error', () => finish('connectErrors'));
  s.on('close', () => {
    finish('closed');
    sockets.delete(s);
    // Connecting in a loop: every place the agent takes back is asked for again at once.
    if (reopen && !stopping) setImmediate(() => open());
  });
  setTimeout(() => finish('closed'), 10_000).unref();
}
await Promise.all(Array.from({ length: count }, () => new Promise((resolve) => open(resolve))));
console.log(JSON.stringify({ ...tally, open: sockets.size }));
await new Promise((r) => setTimeout(r, holdMs));
stopping = true;
const stillOpen = sockets.size;
for (const s of sockets) s.destroy();
console.log(JSON.stringify({ stillOpen, opened }));
process.exit(0);
`;
