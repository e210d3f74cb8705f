// Idle agent: resident memory after warm-up, and how often it wakes up when nothing happens.
// Wake-ups are read from the kernel: every second this script sums the context switches of every thread
// of the agent (/proc/PID/task/*/status). A second in which the count moved is a second in which the agent
// woke; the gaps between such seconds are what "no wake-up more often than every 5 s" is about. (One
// check-in wakes several threads many times within a few ms, so raw switch counts overstate wake-ups.)
// Usage: node bench/agent/idle.mjs [seconds]
import { readdirSync, readFileSync } from 'node:fs';
import { makeWorld, waitFor } from './world.mjs';

const seconds = Number(process.argv[2] ?? 60);
const PASS = 'bench idle passphrase';

function switches(pid) {
  let n = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const s = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      n += Number(/\nvoluntary_ctxt_switches:\s+(\d+)/.exec(s)?.[1] ?? 0);
      n += Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(s)?.[1] ?? 0);
    } catch {}
  }
  return n;
}
const mem = (pid) => {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)[1]) / 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
};

const w = await makeWorld({ passphrase: PASS });
try {
  await w.admin('POST', '/disk_encryption', { team_id: null, enable_disk_encryption: true });
  const client = await w.connect();
  await waitFor(async () => (await client.request('status.get', {})).action, 'the prompt');
  await client.request('luks.escrow', {}, Buffer.from(PASS));
  await waitFor(async () => (await client.request('status.get', {})).action === null, 'escrowed');
  // The desktop app stays connected in real life; keep this connection open and quiet.
  await new Promise((r) => setTimeout(r, 10_000)); // warm-up: GC settles, lazy code compiled
  const pid = w.agent.pid;
  const m0 = mem(pid);
  const awake = [];
  let last = switches(pid);
  let total = 0;
  for (let s = 1; s <= seconds; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = switches(pid);
    if (now > last) awake.push(s);
    total += now - last;
    last = now;
  }
  const gaps = awake.slice(1).map((s, i) => s - (awake[i] ?? 0));
  const m1 = mem(pid);
  const f = (x) => x.toFixed(1);
  console.log(`idle agent, ${seconds} s after a 10 s warm-up (key escrowed, one desktop connected):`);
  console.log(
    `  RSS ${f(m0.rss)} MB (anon ${f(m0.anon)}, file-backed ${f(m0.file)}); at end ${f(m1.rss)} MB`,
  );
  console.log(`  seconds with any wake-up: ${awake.length} of ${seconds}: [${awake.join(', ')}]`);
  console.log(
    `  shortest gap between wake-ups: ${gaps.length ? Math.min(...gaps) : 'n/a'} s; context switches: ${total}`,
  );
  client.close();
} finally {
  await w.close();
}
