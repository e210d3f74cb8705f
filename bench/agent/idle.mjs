// Idle agent: resident memory after warm-up, and how often it wakes up when nothing happens.
// Wake-ups are read from the kernel: every 100 ms this script reads the context-switch counters of every
// thread of the agent (/proc/PID/task/*/status). One wake-up (a check-in: read the answer, re-read the disk
// header, tell the desktop) moves the counters in several samples within a few tens of ms, so activity
// closer together than MERGE_MS is one wake-up. Printed: every wake-up of the process, and for each thread
// the shortest gap between its own wake-ups: independent slow sources (the 55 s check-in, V8's own
// housekeeping thread) sometimes fall close together, while a thread on a short timer shows up at once.
// The agent runs as installed on Linux: the agent executable (built here if it is missing or stale, see
// scripts/build-agent-executable.mjs) started by the Linux launcher, which adds the glibc malloc setting.
// `--node` runs the development shim instead (bin/escrow-agent: the same script and flags on this Node).
// The executable is dropped from the page cache first (after an fsync: dirty pages cannot be dropped), so the
// agent maps what it reads as after a reboot. The file as the build writes it (postject writes 120 MB in one
// piece) sits in the cache in large pieces that the kernel maps whole: the same agent then shows ~17 MB more
// file-backed RSS (70.2 MB), which a copy of the file, or the file read back after a drop, does not.
// Usage: node bench/agent/idle.mjs [seconds] [--node]
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  fsyncSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildAgentExecutable } from '../../scripts/build-agent-executable.mjs';
import { makeWorld, waitFor } from './world.mjs';

const args = process.argv.slice(2);
const onNode = args.includes('--node');
const seconds = Number(args.find((a) => !a.startsWith('--')) ?? 120); // two check-in periods (55 s each)
const PASS = 'bench idle passphrase';
const SAMPLE_MS = 100;
const MERGE_MS = 300;

/**
 * Thread id → { name, context switches so far }.
 * @param {number} pid
 */
function threads(pid) {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const s = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const n =
        Number(/\nvoluntary_ctxt_switches:\s+(\d+)/.exec(s)?.[1] ?? 0) +
        Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(s)?.[1] ?? 0);
      out.set(tid, { name: /^Name:\s+(.*)$/m.exec(s)?.[1] ?? '?', n });
    } catch {} // the thread ended between readdir and read
  }
  return out;
}
/** @param {number} pid */
const mem = (pid) => {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  // The kernel writes these fields for every process that has memory (the agent is running).
  /** @param {string} k */
  const kb = (k) => Number(/** @type {RegExpExecArray} */ (new RegExp(`${k}:\\s+(\\d+)`).exec(s))[1]) / 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
};
/** @typedef {{ start: number, end: number }} Wakeup sample times (ms) */

/**
 * Sample times (ms) → wake-ups: runs of activity no more than MERGE_MS apart.
 * @param {number[]} times
 */
function wakeupsOf(times) {
  /** @type {Wakeup[]} */
  const out = [];
  for (const t of times) {
    const cur = out.at(-1);
    if (cur && t - cur.end <= MERGE_MS) cur.end = t;
    else out.push({ start: t, end: t });
  }
  return out;
}
/** @param {Wakeup[]} w */
const gapsOf = (w) => w.slice(1).map((x, i) => (x.start - (w[i]?.start ?? 0)) / 1000);

/** @type {string | undefined} */
let agentCommand;
let runtime = 'bin/escrow-agent on this Node';
const launcherDir = mkdtempSync(path.join(os.tmpdir(), 'escrow-bench-launcher-'));
if (!onNode) {
  const { out } = await buildAgentExecutable({ ifStale: true });
  agentCommand = path.join(launcherDir, 'escrow-agent');
  copyFileSync(
    path.resolve(import.meta.dirname, '../../assets/linux/escrow-agent-launcher.sh'),
    agentCommand,
  );
  process.env.ESCROW_AGENT_DIR = path.dirname(out);
  runtime = `the agent executable (${path.relative(process.cwd(), out)}) through the Linux launcher`;
  const fd = openSync(out, 'r');
  fsyncSync(fd);
  closeSync(fd);
  execFileSync('dd', [`if=${out}`, 'iflag=nocache', 'count=0'], { stdio: 'ignore' });
  runtime += ', its page cache dropped first';
}
const w = await makeWorld({ passphrase: PASS, agentCommand });
try {
  await w.admin('POST', '/disk_encryption', { team_id: null, enable_disk_encryption: true });
  const client = await w.connect();
  await waitFor(async () => (await client.request('status.get', {})).action, 'the prompt');
  await client.request('recoveryKey.create', {}, Buffer.from(PASS));
  await waitFor(async () => (await client.request('status.get', {})).action === null, 'escrowed');
  // The desktop app stays connected in real life; keep this connection open and quiet.
  await new Promise((r) => setTimeout(r, 10_000)); // warm-up: GC settles, lazy code compiled
  // makeWorld waited for the agent's socket token: the process was spawned, so it has a pid.
  const pid = /** @type {number} */ (w.agent.pid);
  const m0 = mem(pid);
  const any = [];
  const perThread = new Map(); // "name tid" → sample times
  let last = threads(pid);
  let total = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    await new Promise((r) => setTimeout(r, SAMPLE_MS));
    const now = threads(pid);
    const t = performance.now() - t0;
    let moved = false;
    for (const [tid, { name, n }] of now) {
      const delta = n - (last.get(tid)?.n ?? 0);
      if (delta <= 0) continue;
      moved = true;
      total += delta;
      const key = `${name} ${tid}`;
      perThread.set(key, [...(perThread.get(key) ?? []), t]);
    }
    if (moved) any.push(t);
    last = now;
  }
  const wakeups = wakeupsOf(any);
  const gaps = gapsOf(wakeups);
  const longest = Math.max(0, ...wakeups.map((x) => x.end - x.start + SAMPLE_MS));
  const m1 = mem(pid);
  /** @param {number} x */
  const f = (x) => x.toFixed(1);
  console.log(
    `idle agent, ${seconds} s after a 10 s warm-up (key escrowed, one desktop connected), ${runtime}:`,
  );
  console.log(
    `  RSS ${f(m0.rss)} MB (anon ${f(m0.anon)}, file-backed ${f(m0.file)}); at end ${f(m1.rss)} MB`,
  );
  console.log(
    `  wake-ups: ${wakeups.length} in ${seconds} s, at [${wakeups.map((x) => f(x.start / 1000)).join(', ')}] s; longest ${longest.toFixed(0)} ms; context switches: ${total}`,
  );
  console.log(
    `  shortest gap between any two wake-ups: ${gaps.length ? `${f(Math.min(...gaps))} s` : 'n/a'}`,
  );
  let threadMin = Number.POSITIVE_INFINITY;
  for (const [key, times] of [...perThread].sort()) {
    const own = wakeupsOf(times);
    const g = gapsOf(own);
    if (g.length) threadMin = Math.min(threadMin, ...g);
    console.log(
      `    thread ${key}: ${own.length} wake-ups${g.length ? `, shortest gap ${f(Math.min(...g))} s` : ''}`,
    );
  }
  console.log(
    `  shortest gap between wake-ups of one thread: ${Number.isFinite(threadMin) ? `${f(threadMin)} s` : 'n/a'} (goal: ≥ 5 s)`,
  );
  client.close();
} finally {
  await w.close();
  rmSync(launcherDir, { recursive: true, force: true });
}
