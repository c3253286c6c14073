#!/usr/bin/env bash
# Sets everything up, then runs the demo on the embedded SQLite database in ./demo:
# a sampled bank, the example SKD exam, a sealed package of papers, and the web server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export SELEKSI_INSTANCE=${SELEKSI_INSTANCE:-$PWD/demo}
exec .venv/bin/seleksi demo "$@"
