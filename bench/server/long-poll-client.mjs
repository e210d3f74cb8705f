// One load-generator process for long-poll-fanout.mjs: holds config long-polls for the node keys it is
// given and reports when each answer arrived. Several run side by side, like agents on many machines.
import http from 'node:http';

const { url, nodeKeys } = await new Promise((resolve) => process.once('message', resolve));
const { hostname, port } = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
const now = () => performance.timeOrigin + performance.now();

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

const versions = [];
for (let i = 0; i < nodeKeys.length; i += 250) {
  const batch = nodeKeys.slice(i, i + 250).map((k) => post({ orbit_node_key: k }));
  for (const r of await Promise.all(batch)) versions.push(r.body.config_version);
}
const holds = nodeKeys.map((k, i) =>
  post({ orbit_node_key: k, wait_for_change: { after_version: versions[i], timeout_seconds: 55 } }),
);
process.send({ holding: nodeKeys.length });
const answers = await Promise.all(holds);
process.send({
  last: Math.max(...answers.map((a) => a.at)),
  told: answers.filter((a) => a.body.notifications?.run_disk_encryption_escrow === true).length,
});
agent.destroy();
process.disconnect();
