#!/usr/bin/env bash
# Sets everything up and serves Carnet at http://127.0.0.1:5000 with a demo association.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export CARNET_INSTANCE="${CARNET_INSTANCE:-$PWD/instance}"
.venv/bin/flask --app webapp init
.venv/bin/flask --app webapp demo
exec .venv/bin/flask --app webapp run --host 127.0.0.1 --port 5000
