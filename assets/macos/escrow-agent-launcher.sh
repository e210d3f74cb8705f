#!/bin/sh
# Installed by the pkg postinstall as /Library/Application Support/EscrowDesktop/escrow-agent (the
# LaunchDaemon's program) and .../escrowctl (linked from /usr/local/bin/escrowctl). Runs the bundled program
# of the same name with the app's own Electron binary acting as Node, so the Mac needs no second JavaScript
# runtime (docs/decisions/0004-agent-runtime.md). ESCROW_APP_DIR exists for tests; launchd starts the agent
# with a clean environment.
set -eu
app="${ESCROW_APP_DIR:-/Applications/Escrow Desktop.app}"
program="$(basename "$0")"
# The same V8 flags as on Linux for the long-running agent; assets/linux/escrow-agent-launcher.sh says why.
flags=''
[ "$program" = escrow-agent ] && flags='--max-semi-space-size=1 --optimize-for-size --no-turbofan --no-maglev --no-sparkplug --bytecode-old-age=1 --single-threaded-gc'
# shellcheck disable=SC2086 # $flags is a list of flags
ELECTRON_RUN_AS_NODE=1 exec "$app/Contents/MacOS/Escrow Desktop" $flags "$app/Contents/Resources/agent/$program.mjs" "$@"
