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
#   --no-turbofan --no-maglev --no-sparkplug  no optimizing or baseline compilers, only the bytecode
#       interpreter: their code in the binary is never paged in and no machine code is kept (about 6 MB). The
#       agent's work is waiting, cryptsetup and native crypto; a server decision still reaches the desktop in
#       about 10 ms (bench/agent/decision-latency.mjs)
#   --bytecode-old-age=1  bytecode a function has not run since the last full GC is dropped (and compiled again
#       if it runs again): start-up and escrow code does not stay resident while the agent waits (about 1.4 MB)
#   --single-threaded-gc  no background GC threads and their memory (about 0.3 MB); the heap is ~10 MB, so GC
#       pauses stay short on the main thread
flags=''
[ "$program" = escrow-agent ] && flags='--max-semi-space-size=1 --optimize-for-size --no-turbofan --no-maglev --no-sparkplug --bytecode-old-age=1 --single-threaded-gc'
# glibc gives threads that allocate malloc arenas of their own (up to eight per core), and what an arena
# once held stays resident; the agent's few threads need no more than two (about 1.7 MB less). Added to any
# tunables already set.
if [ "$program" = escrow-agent ]; then
  GLIBC_TUNABLES="${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}glibc.malloc.arena_max=2"
  export GLIBC_TUNABLES
fi
# shellcheck disable=SC2086 # $flags is a list of flags
ELECTRON_RUN_AS_NODE=1 exec "$app_dir/escrow-desktop" $flags "$app_dir/resources/agent/$program.mjs" "$@"
