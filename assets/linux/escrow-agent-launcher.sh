#!/bin/sh
# Installed as /usr/lib/escrow-desktop/bin/escrow-agent (the systemd unit's ExecStart) and /usr/bin/escrowctl.
# Runs the bundled program of the same name with the desktop app's own Electron binary acting as Node, so
# the machine needs no second JavaScript runtime (docs/decisions/0004-agent-runtime.md).
set -eu
app_dir="${ESCROW_APP_DIR:-/opt/Escrow Desktop}"
program="$(basename "$0")"
ELECTRON_RUN_AS_NODE=1 exec "$app_dir/escrow-desktop" "$app_dir/resources/agent/$program.mjs" "$@"
