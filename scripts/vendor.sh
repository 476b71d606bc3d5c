#!/usr/bin/env bash
# Re-vendors the browser libraries from the npm registry at pinned versions, bundles each into one
# self-contained ES module under static/vendor/, and writes static/vendor/MANIFEST.json with the
# sha256 of every file (checked by tests/test_vendor.py). Run only to change a version.
set -euo pipefail
cd "$(dirname "$0")/.."
HPKE_CORE=1.9.0
HPKE_COMMON=1.10.1
IDB=8.0.3
QRCODE=2.0.4
JSQR=1.4.0
ESBUILD=0.28.2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
npm install --silent --no-audit --no-fund --prefix "$work" \
  "@hpke/core@$HPKE_CORE" "@hpke/common@$HPKE_COMMON" "idb@$IDB" "qrcode-generator@$QRCODE" "jsqr@$JSQR" \
  "esbuild@$ESBUILD"
bundle() { # entry-module out-file; run inside $work so the output names no temporary path
  (cd "$work" && node_modules/.bin/esbuild "$1" --bundle --format=esm --target=es2022 --minify-syntax \
    --legal-comments=inline --outfile="$2" --log-level=warning)
}
printf 'export * from "@hpke/core";\n' > "$work/hpke-entry.js"
bundle hpke-entry.js "$PWD/static/vendor/hpke-core.js"
# jsQR ships a UMD build only: bundled into an ES module whose default export is the decoder.
printf 'import jsQR from "jsqr";\nexport default jsQR;\n' > "$work/jsqr-entry.js"
bundle jsqr-entry.js "$PWD/static/vendor/jsqr.js"
cp "$work/node_modules/idb/build/index.js" static/vendor/idb.js
# An ES module with no import; its MIT licence is in its own header, the package ships no LICENSE file.
cp "$work/node_modules/qrcode-generator/dist/qrcode.mjs" static/vendor/qrcode-generator.js
cp "$work/node_modules/@hpke/core/LICENSE" static/vendor/hpke-core.LICENSE
cp "$work/node_modules/idb/LICENSE" static/vendor/idb.LICENSE
cp "$work/node_modules/jsqr/LICENSE" static/vendor/jsqr.LICENSE
python3 - "$HPKE_CORE" "$HPKE_COMMON" "$IDB" "$QRCODE" "$JSQR" "$ESBUILD" <<'PY'
import hashlib, json, sys
from pathlib import Path
core, common, idb, qrcode, jsqr, esbuild = sys.argv[1:]
files = {
    "hpke-core.js": {"from": [f"@hpke/core@{core}", f"@hpke/common@{common}"], "bundled_by": f"esbuild@{esbuild}"},
    "idb.js": {"from": [f"idb@{idb}"], "copied": "build/index.js"},
    "qrcode-generator.js": {"from": [f"qrcode-generator@{qrcode}"], "copied": "dist/qrcode.mjs", "license": "MIT"},
    "jsqr.js": {"from": [f"jsqr@{jsqr}"], "bundled_by": f"esbuild@{esbuild}", "license": "Apache-2.0"},
    "hpke-core.LICENSE": {"from": [f"@hpke/core@{core}"]},
    "idb.LICENSE": {"from": [f"idb@{idb}"]},
    "jsqr.LICENSE": {"from": [f"jsqr@{jsqr}"]},
}
for name, entry in files.items():
    entry["sha256"] = hashlib.sha256(Path("static/vendor", name).read_bytes()).hexdigest()
Path("static/vendor/MANIFEST.json").write_text(json.dumps(files, indent=2) + "\n")
PY
echo "vendored into static/vendor/ (see MANIFEST.json)"
