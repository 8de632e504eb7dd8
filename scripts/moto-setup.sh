#!/usr/bin/env bash
# Runs before `npm test` (npm's pretest): the S3 and Secrets Manager tests need moto's server
# (`moto_server`, moto 5.2.x). Uses the one on PATH; else the one this script installed before into
# .cache/moto-venv; else installs the pinned moto there with the machine's Python 3; else stops,
# before any test, naming what is missing and the command that installs it.
# Installs nothing outside the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_REQUIREMENT='moto[server]==5.2.1'
VENV="$PWD/.cache/moto-venv"
LOG="$PWD/.cache/moto-setup.log"

# The moto version a moto_server script runs, from its interpreter (empty when it cannot be told).
moto_version() {
  local script=$1 interpreter
  # A pyenv shim is a shell script; the script it runs names the interpreter.
  if [[ $script == */shims/* ]] && command -v pyenv >/dev/null; then script=$(pyenv which moto_server 2>/dev/null || echo "$script"); fi
  interpreter=$(head -1 "$script" 2>/dev/null | sed -n 's/^#! *//p' | cut -d' ' -f1)
  case "$interpreter" in
  *python*) "$interpreter" -c 'import moto; print(moto.__version__)' 2>/dev/null || true ;;
  esac
}

found() {
  local version
  version=$(moto_version "$1")
  echo "moto-setup: found moto_server ${version:+(moto $version) }at $1"
  case "$version" in
  '' | 5.2.*) ;;
  *) echo "moto-setup: note: the tests are written against moto 5.2.1; this is $version" ;;
  esac
}

# Stops before any test: why moto could not be had here ($1), and the command that installs it ($2).
missing() {
  cat >&2 <<MESSAGE
moto-setup: npm test needs moto_server (moto 5.2.1: the local S3 and Secrets Manager the tests run
against). It is not on PATH, and $1.
Install it with:

    $2

then run npm test again. No test has run.
MESSAGE
  exit 1
}

if on_path=$(command -v moto_server); then
  found "$on_path"
  exit 0
fi
if [ -x "$VENV/bin/moto_server" ]; then
  found "$VENV/bin/moto_server"
  exit 0
fi

PYTHON=$(command -v python3 || true)
[ -n "$PYTHON" ] ||
  missing "there is no python3 to install it into .cache/moto-venv with" \
    "apt-get install python3 python3-venv   # or any Python 3; npm test then installs moto into .cache/moto-venv"

echo "moto-setup: moto_server is not on PATH; installing $MOTO_REQUIREMENT into .cache/moto-venv with $PYTHON ($("$PYTHON" --version 2>&1))…"
mkdir -p "$PWD/.cache"
# A venv from an earlier attempt is kept (making one takes ~20 s on 2 busy cores); only pip runs again.
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV" >"$LOG" 2>&1 ||
    missing "making a virtual environment with $PYTHON failed (.cache/moto-setup.log says why)" \
      "apt-get install python3-venv   # npm test then installs moto into .cache/moto-venv"
fi
if ! "$VENV/bin/python" -m pip install --retries 1 --timeout 30 --disable-pip-version-check \
  "$MOTO_REQUIREMENT" >>"$LOG" 2>&1; then
  reason=$(grep -E '^ERROR' "$LOG" | tail -1 || true)
  missing "installing it into .cache/moto-venv failed${reason:+ (pip: ${reason#ERROR: })}: is the Python package index reachable from here? (pip's output: .cache/moto-setup.log)" \
    "pip install '$MOTO_REQUIREMENT'   # into any Python 3 whose scripts folder is on PATH"
fi
[ -x "$VENV/bin/moto_server" ] ||
  missing "pip installed moto into .cache/moto-venv, but no moto_server came with it" \
    "pip install '$MOTO_REQUIREMENT'   # into any Python 3 whose scripts folder is on PATH"
echo "moto-setup: installed moto $("$VENV/bin/python" -c 'import moto; print(moto.__version__)') into .cache/moto-venv"
