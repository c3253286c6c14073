#!/usr/bin/env bash
# Sets everything up, then runs the demo on the embedded SQLite database in ./instance
# (seleksi demo's default; SELEKSI_INSTANCE chooses another folder):
# a sampled bank, the example SKD exam, a sealed package of papers, and the web server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/seleksi demo "$@"
