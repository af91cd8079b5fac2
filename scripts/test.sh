#!/usr/bin/env bash
# Install the test dependencies and run the whole suite: SQLite, PostgreSQL and Chromium.
# Extra arguments go to pytest (e.g. scripts/test.sh -k booking -x).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"

# Debian's Chromium drives the browser tests (never a downloaded browser build).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  else
    echo "chromium is not installed: sudo apt-get install chromium (browser tests need it)" >&2
  fi
fi

# axe-core (npm, test-only, never served) checks the pages' accessibility in the browser tests.
if [ ! -f node_modules/axe-core/axe.min.js ]; then
  if command -v npm >/dev/null 2>&1; then
    npm ci --no-audit --no-fund --silent
  else
    echo "npm is not installed: the accessibility checks need it (apt-get install npm)" >&2
  fi
fi

# wrk drives the benchmark's smoke test (tests/test_benchmarks_smoke.py).
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  else
    echo "wrk is not installed: sudo apt-get install wrk (the benchmark smoke test needs it)" >&2
  fi
fi

# PostgreSQL on 127.0.0.1:5432 (user postgres) backs the second run of every database test.
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
fi

.venv/bin/ruff check service_center tests benchmarks
.venv/bin/lint-imports  # the layers of ../shared/STYLE.md ([tool.importlinter] in pyproject.toml)
# one pytest worker per core (pytest-xdist): each has its own PostgreSQL database and files
.venv/bin/python -m pytest -n auto "$@"
