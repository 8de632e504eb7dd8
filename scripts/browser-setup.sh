#!/usr/bin/env bash
# Chromium for `npm run test:browser` (the drill report rendered headless). Finds `chromium` on PATH;
# else installs Debian's package system-wide with apt-get (outside this checkout, so it says so; needs
# root or sudo). With --check (run before each `npm run test:browser`) it installs nothing: it finds
# Chromium or stops, naming the command that installs it.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "browser-setup: found $(chromium --version 2>/dev/null || echo chromium) at $(command -v chromium)"
  exit 0
fi
if [ "${1:-}" = --check ]; then
  cat >&2 <<'MESSAGE'
browser-setup: the browser tests need Chromium (`chromium` on PATH), and there is none. Install it with:

    npm run browser:setup   # apt-get install chromium: Debian's package, system-wide

then run npm run test:browser again. No test has run.
MESSAGE
  exit 1
fi
run() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
echo "browser-setup: chromium is not on PATH; installing Debian's chromium system-wide with apt-get (outside this checkout)…"
run apt-get install -y --no-install-recommends chromium >/tmp/browser-setup.log 2>&1 || {
  run apt-get update >/dev/null 2>&1 && run apt-get install -y --no-install-recommends chromium >/tmp/browser-setup.log 2>&1
} || {
  tail -20 /tmp/browser-setup.log >&2
  exit 1
}
echo "browser-setup: installed $(chromium --version) at $(command -v chromium)"
