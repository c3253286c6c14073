#!/usr/bin/env bash
# Sets everything up, then runs the whole test suite: ruff, mypy and pytest (PostgreSQL and
# Redis tests included: they need the local servers, see README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
echo "== ruff"; .venv/bin/ruff check .
echo "== mypy"; .venv/bin/mypy; .venv/bin/mypy bench  # (bench/scoring.py would shadow scoring/ in one run)
echo "== pytest"; .venv/bin/pytest "$@"
