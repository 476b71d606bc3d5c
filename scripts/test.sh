#!/usr/bin/env bash
# Installs what the tests need (Debian's Chromium, PostgreSQL and Node.js included) and runs the whole
# suite; the tests start their own PostgreSQL server (tests/postgres.py), none is configured here.
# Extra arguments go to pytest, e.g. `scripts/test.sh -m "not browser"`.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium fonts-noto-core)
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
# npm installs the minifier (scripts/setup.sh): the browser tests run against the minified app.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
bash scripts/setup.sh test
# The reference protocol (crypto/) must stay fully covered, lines and branches.
exec .venv/bin/python -m pytest --cov=crypto --cov-branch --cov-report=term-missing:skip-covered \
  --cov-fail-under=100 "$@"
