#!/bin/sh
# Installed as /usr/sbin/escrow-agent (the systemd unit's ExecStart) and /usr/bin/escrowctl. Runs the program
# of the same name from /usr/lib/escrow-agent/: the agent executable (Node's own runtime with the agent in
# it; escrowctl is a link to it), installed root-owned outside the desktop app
# (docs/decisions/0005-agent-executable.md). ESCROW_AGENT_DIR exists for tests.
set -eu
agent_dir="${ESCROW_AGENT_DIR:-/usr/lib/escrow-agent}"
program="$(basename "$0")"
exe="$agent_dir/$program"

# Root runs this program: refuse it, and its directory, unless they are root's alone (owned by root,
# writable by no group nor other), since whoever can change them can run code as root. Links are followed.
# One line in the journal says why; systemd does not restart the agent after exit status 78 (EX_CONFIG).
for path in "$exe" "$agent_dir"; do
  if [ -z "$(find -H "$path" -prune -user 0 ! -perm -020 ! -perm -002 2>/dev/null)" ]; then
    found="$(ls -ldLn "$path" 2>/dev/null | awk '{print "is " $1 " owned by uid " $3}')"
    echo "$program: refusing to run $exe: $path ${found:-does not exist}; it must be owned by root and" \
      "writable by no one else" >&2
    exit 78
  fi
done

# glibc gives threads that allocate malloc arenas of their own (up to eight per core), and what an arena
# once held stays resident; the agent's few threads need no more than two (about 1.7 MB less). Added to any
# tunables already set. (The V8 flags are inside the executable: scripts/build-agent-executable.mjs.)
if [ "$program" = escrow-agent ]; then
  GLIBC_TUNABLES="${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}glibc.malloc.arena_max=2"
  export GLIBC_TUNABLES
fi
exec "$exe" "$@"
