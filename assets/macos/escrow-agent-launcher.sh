#!/bin/sh
# Installed by the pkg postinstall as /Library/Application Support/EscrowDesktop/escrow-agent (the
# LaunchDaemon's program) and .../escrowctl (linked from /usr/local/bin/escrowctl). Runs the program of the
# same name from .../EscrowDesktop/bin/: the agent executable (Node's own runtime with the agent in it;
# escrowctl is a link to it), which the postinstall copies there root-owned, outside the app bundle
# (docs/decisions/0005-agent-executable.md). ESCROW_AGENT_DIR exists for tests; launchd starts the agent
# with a clean environment.
set -eu
agent_dir="${ESCROW_AGENT_DIR:-/Library/Application Support/EscrowDesktop/bin}"
program="$(basename "$0")"
exe="$agent_dir/$program"

# Root runs this program: refuse it, and its directory, unless they are root's alone (owned by root,
# writable by no group nor other), since whoever can change them can run code as root. Links are followed.
# One line in /Library/Logs/EscrowDesktop/agent.log says why (launchd tries again every 10 s).
for path in "$exe" "$agent_dir"; do
  if [ -z "$(find -H "$path" -prune -user 0 ! -perm -020 ! -perm -002 2>/dev/null)" ]; then
    found="$(ls -ldLn "$path" 2>/dev/null | awk '{print "is " $1 " owned by uid " $3}')"
    echo "$program: refusing to run $exe: $path ${found:-does not exist}; it must be owned by root and" \
      "writable by no one else" >&2
    exit 78
  fi
done
# The V8 flags are inside the executable (scripts/build-agent-executable.mjs).
exec "$exe" "$@"
