// Escrow end to end (IPC request → server ack) with the DEFAULT argon2 KDF on the user's slot, divided by
// the floor: one `cryptsetup open --test-passphrase` with the same passphrase on the same image (the one
// unavoidable unlock of the user's slot). Each run makes a fresh image; runs are serial (argon2 takes up to
// 1 GiB). One argon2 run varies by ±10 % here, so several runs and their median ratio are printed.
// Usage: node bench/agent/escrow-vs-floor.mjs [runs]
import { execFileSync } from 'node:child_process';
import { makeWorld, waitFor } from './world.mjs';

const runs = Number(process.argv[2] ?? 5);
const ratios = [];
const PASS = 'bench floor passphrase with spaces';

function floorMs(image) {
  const t0 = performance.now();
  execFileSync('cryptsetup', ['open', '--test-passphrase', '--key-file=-', image], { input: PASS });
  return performance.now() - t0;
}

for (let run = 1; run <= runs; run++) {
  const w = await makeWorld({ passphrase: PASS, defaultKdf: true });
  try {
    await w.admin('POST', '/disk_encryption', { team_id: null, enable_disk_encryption: true });
    const client = await w.connect();
    await waitFor(async () => (await client.request('status.get', {})).action, 'the prompt');
    // The floor varies run to run (argon2's 1 GiB of fresh memory): take the median of three.
    const floors = [floorMs(w.image), floorMs(w.image), floorMs(w.image)].sort((a, b) => a - b);
    const floor = floors[1];
    const t0 = performance.now();
    const result = await client.request('luks.escrow', {}, Buffer.from(PASS));
    const escrowMs = performance.now() - t0;
    if (result.outcome !== 'escrowed') throw new Error(`outcome ${result.outcome}`);
    ratios.push(escrowMs / floor);
    console.log(
      `run ${run}: escrow ${escrowMs.toFixed(0)} ms; floor median ${floor.toFixed(0)} ms ` +
        `(${floors.map((f) => f.toFixed(0)).join(' / ')}); ratio ${(escrowMs / floor).toFixed(3)}`,
    );
    client.close();
  } finally {
    await w.close();
  }
}
ratios.sort((a, b) => a - b);
console.log(
  `median ratio over ${runs} runs: ${ratios[Math.floor((runs - 1) / 2)].toFixed(3)} (range ${ratios[0].toFixed(3)}–${ratios.at(-1).toFixed(3)}; goal ≤ 1.15)`,
);
