#!/usr/bin/env bash
# `scripts/translations.sh update`: extract every string into the catalogs (then translate the
# new entries in translations/*/LC_MESSAGES/messages.po); `compile`: build the .mo files.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  update)
    .venv/bin/pybabel extract -F babel.cfg -k _l -k in_french -o translations/messages.pot .
    .venv/bin/pybabel update -i translations/messages.pot -d translations -w 100
    ;;
  compile)
    .venv/bin/pybabel compile -d translations
    ;;
  *) echo "usage: $0 update|compile" >&2; exit 2 ;;
esac
