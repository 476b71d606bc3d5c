#!/usr/bin/env bash
# Installs what the tests need (Debian's Chromium included) and runs the whole suite.
# Extra arguments go to pytest, e.g. `scripts/test.sh -m "not browser"`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium fonts-noto-core >/dev/null
fi
bash scripts/setup.sh test
# The reference protocol (crypto/) must stay fully covered, lines and branches.
exec .venv/bin/python -m pytest --cov=crypto --cov-branch --cov-report=term-missing:skip-covered \
  --cov-fail-under=100 "$@"
