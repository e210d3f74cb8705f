// Server decision → desktop event: an admin changes the policy on the server (disk encryption on/off for
// the host's team), and we time until a connected desktop client receives the agent's status event that
// reflects it. Path: admin HTTP → server config version changes → held long-poll answers → agent re-reads
// the LUKS header → IPC push. Usage: node bench/agent/decision-latency.mjs [rounds]
import { makeWorld, percentile, waitFor } from './world.mjs';

/** @import { DeviceStatus } from '../../dist/ipc/desktop-agent/device-status.js' */

const rounds = Number(process.argv[2] ?? 50);
const w = await makeWorld({ passphrase: 'bench latency passphrase' });
try {
  const client = await w.connect();
  /** @type {DeviceStatus | null} */
  let latest = null;
  /** @type {((s: DeviceStatus) => boolean) | null} */
  let waiter = null;
  client.on('event', (e) => {
    if (e.event !== 'status') return;
    latest = e.data;
    if (waiter?.(e.data)) waiter = null;
  });
  latest = await client.request('status.get', {});
  await waitFor(() => latest?.server.state === 'connected', 'the agent to connect');
  const samples = [];
  for (let i = 0; i < rounds; i++) {
    const enable = i % 2 === 0;
    const wanted = enable ? 'action_required' : 'not_required';
    const arrived = new Promise((resolve) => {
      waiter = (s) => {
        if (s.volumes[0]?.escrow.state !== wanted) return false;
        resolve(performance.now());
        return true;
      };
    });
    const t0 = performance.now();
    const r = await w.admin('POST', '/disk_encryption', { team_id: null, enable_disk_encryption: enable });
    if (r.status !== 204) throw new Error(`admin API answered ${r.status}`);
    samples.push((await arrived) - t0);
    await new Promise((r) => setTimeout(r, 50));
  }
  samples.sort((a, b) => a - b);
  /** @param {number | undefined} x undefined only without samples */
  const f = (x) => {
    if (x === undefined) throw new Error('no samples: rounds must be at least 1');
    return `${x.toFixed(1)} ms`;
  };
  console.log(`server decision → desktop status event, ${rounds} rounds (agent is a separate process):`);
  console.log(
    `  p50 ${f(percentile(samples, 50))}  p95 ${f(percentile(samples, 95))}  max ${f(samples.at(-1))}  min ${f(samples[0])}`,
  );
  client.close();
} finally {
  await w.close();
}
