#!/usr/bin/env bash
# Sets everything up and serves Carnet at http://localhost:5000 with a demo association, through
# gunicorn (webapp/gunicorn_conf.py); a deployment runs the same server behind a reverse proxy
# with TLS (docs/OPERATIONS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export CARNET_INSTANCE="${CARNET_INSTANCE:-$PWD/instance}"
.venv/bin/flask --app webapp init
.venv/bin/flask --app webapp demo
exec .venv/bin/gunicorn -c python:webapp.gunicorn_conf webapp.wsgi:app
