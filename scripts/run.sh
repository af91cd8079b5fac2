#!/usr/bin/env bash
# Install the app in .venv, build the SQLite schema in instance/, load the demo data if the
# database is empty, print the demo staff accounts and serve on http://127.0.0.1:5000.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .

export FLASK_APP=service_center
# the demo is served over plain HTTP on 127.0.0.1: the session cookie may not require HTTPS
export SERVICE_CENTER_SESSION_COOKIE_SECURE=${SERVICE_CENTER_SESSION_COOKIE_SECURE:-false}
# the links in the demo's messages (the rating link, a booking's page) point at this server
export SERVICE_CENTER_PUBLIC_URL=${SERVICE_CENTER_PUBLIC_URL:-http://127.0.0.1:${PORT:-5000}}
.venv/bin/flask db upgrade
.venv/bin/flask seed-demo
echo
echo "Serving on http://127.0.0.1:${PORT:-5000}  (Ctrl+C stops it)"
exec .venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
