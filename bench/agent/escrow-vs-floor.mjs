// Escrow end to end (IPC request → server ack) with the DEFAULT argon2 KDF on the user's slot, divided by
// the floor: one `cryptsetup open --test-passphrase` of the user's slot with the same passphrase on the same
// image (the one unavoidable unlock of the user's slot). Each run makes a fresh image; runs are serial
// (argon2 takes up to 1 GiB). One argon2 run varies by ±10 % here, and more while other jobs share the
// machine, so the floor of each run is the median of three unlocks around its escrow (two before, one
// after), and the median ratio over several runs is the figure. The load average is printed with it.
// Two end points: the server's ack (the definition, and the goal's figure), and the desktop's
// answer (the agent answers once the ack is journaled; the header token and the journal entry are
// finished after it).
// Usage: node bench/agent/escrow-vs-floor.mjs [--runs N]   (default 5; a bare number also works)
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { makeWorld, waitFor } from './world.mjs';

const { values, positionals } = parseArgs({
  options: { runs: { type: 'string' } },
  allowPositionals: true,
});
const runs = Number(values.runs ?? positionals[0] ?? 5);
if (!Number.isInteger(runs) || runs < 1) throw new Error('usage: escrow-vs-floor.mjs [--runs N]');
const GOAL = 1.1;
/** @type {number[]} */
const ratios = [];
/** @type {number[]} */
const toAnswer = [];
const PASS = 'bench floor passphrase with spaces';

// The user's slot only (slot 0 of the fresh image): after the escrow the image has a second slot, which an
// unlock without --key-slot could try first.
/** @param {string} image */
function floorMs(image) {
  const t0 = performance.now();
  execFileSync('cryptsetup', ['open', '--test-passphrase', '--key-slot', '0', '--key-file=-', image], {
    input: PASS,
  });
  return performance.now() - t0;
}

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
console.log(`load average at start: ${load()} (${os.cpus().length} CPUs)`);
for (let run = 1; run <= runs; run++) {
  const w = await makeWorld({ passphrase: PASS, defaultKdf: true });
  try {
    await w.admin('POST', '/disk_encryption', { team_id: null, enable_disk_encryption: true });
    const client = await w.connect();
    await waitFor(async () => (await client.request('status.get', {})).action, 'the prompt');
    const before = [floorMs(w.image), floorMs(w.image)];
    const t0 = performance.now();
    const result = await client.request('recoveryKey.create', {}, Buffer.from(PASS));
    const answerMs = performance.now() - t0;
    if (result.outcome !== 'escrowed') throw new Error(`outcome ${result.outcome}`);
    // The outcome is 'escrowed': the server has stored the key, so its time is set.
    const ackMs = /** @type {number} */ (w.keyStoredAt()) - t0;
    // Let the agent finish its bookkeeping and its status refresh before the last unlock.
    await waitFor(
      async () => (await client.request('status.get', {})).volumes[0]?.escrow.state === 'escrowed',
      'escrowed',
    );
    const floors = [...before, floorMs(w.image)];
    const floor = /** @type {number} three floors, so the middle one is there */ (
      [...floors].sort((a, b) => a - b)[1]
    );
    ratios.push(ackMs / floor);
    toAnswer.push(answerMs / floor);
    console.log(
      `run ${run}: to the server's ack ${ackMs.toFixed(0)} ms, to the desktop's answer ${answerMs.toFixed(0)} ms; ` +
        `floor median ${floor.toFixed(0)} ms (${floors.map((f) => f.toFixed(0)).join(' / ')}); ` +
        `ratio ${(ackMs / floor).toFixed(3)} (answer ${(answerMs / floor).toFixed(3)})`,
    );
    client.close();
  } finally {
    await w.close();
  }
}
/** @param {number[]} xs not empty (runs ≥ 1) */
const median = (xs) => /** @type {number} */ ([...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]);
/** @param {number[]} xs */
const range = (xs) => `${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)}`;
console.log(
  `median ratio (request → server ack) over ${runs} runs: ${median(ratios).toFixed(3)} (range ${range(ratios)}; goal ≤ ${GOAL.toFixed(2)})`,
);
console.log(
  `median ratio (request → the desktop's answer): ${median(toAnswer).toFixed(3)} (range ${range(toAnswer)})`,
);
console.log(`load average at the end: ${load()}`);
