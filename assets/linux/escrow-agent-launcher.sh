#!/bin/sh
# Installed as /usr/lib/escrow-desktop/bin/escrow-agent (the systemd unit's ExecStart) and /usr/bin/escrowctl.
# Runs the bundled program of the same name with the desktop app's own Electron binary acting as Node, so
# the machine needs no second JavaScript runtime (docs/decisions/0004-agent-runtime.md).
set -eu
app_dir="${ESCROW_APP_DIR:-/opt/Escrow Desktop}"
program="$(basename "$0")"
# The agent is a long-running service that allocates little: a small young generation and V8's
# size-over-speed mode keep it lean (the same flags bin/escrow-agent uses in development).
flags=''
[ "$program" = escrow-agent ] && flags='--max-semi-space-size=1 --optimize-for-size'
# shellcheck disable=SC2086 # $flags is a list of flags
ELECTRON_RUN_AS_NODE=1 exec "$app_dir/escrow-desktop" $flags "$app_dir/resources/agent/$program.mjs" "$@"
