#!/usr/bin/env bash
# Creates .venv, installs Carnet (with the test tools if given "test") and compiles the catalogs.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
if [ "$extras" = "test" ]; then
  .venv/bin/python -m pip install --quiet -e '.[test]'
else
  .venv/bin/python -m pip install --quiet -e .
fi
.venv/bin/pybabel -q compile -d translations
# The minifier of the app's modules (webapp/pwa.py): esbuild from npm, pinned, in node_modules/.
# Without Node.js the app is served as written.
ESBUILD_VERSION=0.28.2
if command -v npm >/dev/null 2>&1; then
  if [ "$(node_modules/.bin/esbuild --version 2>/dev/null)" != "$ESBUILD_VERSION" ]; then
    npm install --silent --prefix . --no-save --no-package-lock --no-audit --no-fund "esbuild@$ESBUILD_VERSION"
  fi
fi
