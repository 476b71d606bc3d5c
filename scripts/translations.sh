#!/usr/bin/env bash
# `scripts/translations.sh update`: extract every string into the catalogs (then translate the
# new entries in translations/*/LC_MESSAGES/messages.po); `compile`: build the .mo files;
# `review fr|ar`: the messages whose translation nobody has read against its source as it is now;
# `reviewed fr|ar HASH...` (or `all`): record those a person has read (translations/review.py).
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
  review)
    .venv/bin/python translations/review.py list "${2:-}"
    ;;
  reviewed)
    .venv/bin/python translations/review.py record "${@:2}"
    ;;
  *) echo "usage: $0 update|compile|review LANG|reviewed LANG HASH...|all" >&2; exit 2 ;;
esac
