// One load-generator process for long-poll-fanout.mjs: holds config long-polls for the node keys it is
// given and reports when each answer arrived. Several run side by side, like agents on many machines.
import http from 'node:http';

/** @import { ConfigRequest, ConfigResponse } from '../../dist/ipc/agent-server/orbit-api.js' */
// The fork IPC channel with long-poll-fanout.mjs: first its job, then two reports: LongPollHolding once
// every hold is in flight, LongPollDone (when the last answer arrived, how many were told to escrow) at the end.
/**
 * @typedef {{ url: string, nodeKeys: string[] }} LongPollJob
 * @typedef {{ holding: number }} LongPollHolding
 * @typedef {{ last: number, told: number }} LongPollDone
 */

/**
 * Reports to long-poll-fanout.mjs, which starts this file with fork(): the IPC channel is always there.
 * @param {LongPollHolding | LongPollDone} message
 */
function report(message) {
  if (!process.send)
    throw new Error('long-poll-client.mjs talks over an IPC channel: long-poll-fanout.mjs forks it');
  process.send(message);
}

const { url, nodeKeys } = /** @type {LongPollJob} */ (
  await new Promise((resolve) => process.once('message', resolve))
);
const { hostname, port } = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
const now = () => performance.timeOrigin + performance.now();

/**
 * @param {ConfigRequest} body
 * @returns {Promise<{ body: ConfigResponse, at: number }>}
 */
function post(body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: hostname,
        port,
        path: '/api/fleet/orbit/config',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        /** @type {Buffer[]} */
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ body: JSON.parse(Buffer.concat(chunks).toString()), at: now() }));
      },
    );
    req.on('error', (e) =>
      reject(new Error(`${body.wait_for_change ? 'hold' : 'first read'}: ${e.message}`)),
    );
    req.end(JSON.stringify(body));
  });
}

/** @type {string[]} */
const versions = [];
for (let i = 0; i < nodeKeys.length; i += 250) {
  const batch = nodeKeys.slice(i, i + 250).map((k) => post({ orbit_node_key: k }));
  for (const r of await Promise.all(batch)) versions.push(r.body.config_version);
}
// versions holds one entry per node key, in the same order, so versions[i] is there.
const holds = nodeKeys.map((k, i) =>
  post({
    orbit_node_key: k,
    wait_for_change: { after_version: /** @type {string} */ (versions[i]), timeout_seconds: 55 },
  }),
);
report({ holding: nodeKeys.length });
const answers = await Promise.all(holds);
report({
  last: Math.max(...answers.map((a) => a.at)),
  told: answers.filter((a) => a.body.notifications?.run_disk_encryption_escrow === true).length,
});
agent.destroy();
process.disconnect();
