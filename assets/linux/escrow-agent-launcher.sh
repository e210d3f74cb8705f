#!/bin/sh
# Installed as /usr/lib/escrow-desktop/bin/escrow-agent (the systemd unit's ExecStart) and /usr/bin/escrowctl.
# Runs the bundled program of the same name with the desktop app's own Electron binary acting as Node, so
# the machine needs no second JavaScript runtime (docs/decisions/0004-agent-runtime.md).
set -eu
app_dir="${ESCROW_APP_DIR:-/opt/Escrow Desktop}"
program="$(basename "$0")"
# The agent is a long-running root service that mostly waits (idle memory goal: 60 MB), so its V8 flags
# trade speed it does not need for memory (the same flags as bin/escrow-agent in development):
#   --max-semi-space-size=1 --optimize-for-size  a small young generation, size over speed; it allocates little
#   --no-opt --no-maglev  no optimizing compilers: their code in the binary is never paged in (about 5 MB
#                         less resident) and no optimized code is kept; the agent's work is I/O, cryptsetup
#                         and native crypto, and a decision still reaches the desktop in about 10 ms
#   --no-sparkplug        no baseline machine code either (about 1 MB); the bytecode interpreter suffices
flags=''
[ "$program" = escrow-agent ] && flags='--max-semi-space-size=1 --optimize-for-size --no-opt --no-maglev --no-sparkplug'
# shellcheck disable=SC2086 # $flags is a list of flags
ELECTRON_RUN_AS_NODE=1 exec "$app_dir/escrow-desktop" $flags "$app_dir/resources/agent/$program.mjs" "$@"
