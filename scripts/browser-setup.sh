#!/usr/bin/env bash
# Installs Debian's Chromium for `npm run test:browser` (the drill report rendered headless), unless
# it is on PATH already. Needs root (or sudo) and Debian's apt sources.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "browser-setup: $(chromium --version 2>/dev/null || echo chromium) already installed"
  exit 0
fi
run() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
echo "browser-setup: installing Debian's chromium (apt-get)…"
run apt-get install -y --no-install-recommends chromium >/tmp/browser-setup.log 2>&1 || {
  run apt-get update >/dev/null 2>&1 && run apt-get install -y --no-install-recommends chromium >/tmp/browser-setup.log 2>&1
} || { tail -20 /tmp/browser-setup.log >&2; exit 1; }
echo "browser-setup: $(chromium --version)"
