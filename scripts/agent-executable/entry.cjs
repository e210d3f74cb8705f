// The one script inside the agent executable (scripts/build-agent-executable.mjs) and inside
// dist/agent/agent.cjs, which bin/escrow-agent and bin/escrowctl run in development: it is escrow-agent or
// escrowctl by the name it was started as, like a link to busybox. Installed, /usr/lib/escrow-agent/escrowctl
// (Linux) and …/EscrowDesktop/bin/escrowctl (macOS) are links to the executable escrow-agent, so the machine
// carries one Node runtime, not two (docs/decisions/0005-agent-executable.md).
// Only the chosen program's modules are initialized (esbuild wraps each required module in a lazy init), so
// the agent does not run escrowctl's code, nor escrowctl the agent's.
const name = require('node:path')
  .basename(process.argv[1] ?? '')
  .replace(/\.exe$/i, '');
if (name === 'escrowctl') {
  require('../../dist/src-agent/cli/escrowctl.js');
} else if (name === 'escrow-agent') {
  require('../../dist/src-agent/cli/escrow-agent.js');
} else {
  process.stderr.write(`${name || 'this program'}: start me as escrow-agent or escrowctl\n`);
  process.exitCode = 64;
}
