#!/usr/bin/env bash
# Sets Seleksi up in this checkout: a virtual environment (.venv) with the package and its test
# tools, the vendored front-end files (from the npm registry into exam_server/static/vendor), and,
# with --browser, Debian's Chromium and nginx for the tests. Safe to run again: it skips what is done.
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=0
[ "${1:-}" = "--browser" ] && want_browser=1

say() { printf 'setup: %s\n' "$*"; }

# 1. Python >= 3.11 in a virtual environment
py=${PYTHON:-python3}
if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "setup: Python 3.11 or newer is needed (found: $("$py" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  say "creating the virtual environment .venv"
  "$py" -m venv .venv
fi
stamp=.venv/.seleksi-installed
digest=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ] || ! .venv/bin/python -c 'import exam_server' 2>/dev/null; then
  say "installing Python packages (pip install -e .[test])"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[test]"
  echo "$digest" > "$stamp"
fi

# 2. Front-end files from the npm registry, served locally (test sites are often offline: no CDN)
vendor=exam_server/static/vendor
if [ ! -f "$vendor/socket.io.min.js" ] || [ ! -f "$vendor/chart.umd.min.js" ] || [ ! -f "$vendor/qrcode.mjs" ] || [ package-lock.json -nt "$vendor/socket.io.min.js" ]; then
  command -v npm >/dev/null || { echo "setup: npm is needed for the front-end files (apt-get install npm)" >&2; exit 1; }
  say "installing front-end files (npm ci) into $vendor"
  npm ci --no-audit --no-fund --loglevel=error
  mkdir -p "$vendor"
  cp node_modules/socket.io-client/dist/socket.io.min.js "$vendor/"
  cp node_modules/chart.js/dist/chart.umd.min.js "$vendor/"
  cp node_modules/qrcode-generator/dist/qrcode.mjs "$vendor/"  # an ES module (result page)
fi

# 3. For the tests: Debian's Chromium (browser tests; Playwright's own browser download does not
#    work here) and nginx (the tested load-balancer configuration, deploy/nginx-seleksi.conf)
if [ $want_browser = 1 ]; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -x /usr/sbin/nginx ] || missing+=(nginx)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing Debian's ${missing[*]} for the tests"
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi
say "ready"
