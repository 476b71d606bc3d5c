"""Vendored browser libraries are exactly the files recorded in static/vendor/MANIFEST.json."""

import hashlib
import json
import re
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "static" / "vendor"


def test_every_vendored_file_has_the_recorded_hash() -> None:
    manifest = json.loads((VENDOR / "MANIFEST.json").read_text())
    on_disk = {p.name for p in VENDOR.iterdir() if p.name != "MANIFEST.json"}
    assert on_disk == set(manifest), "a vendored file is missing from the manifest, or the reverse"
    for name, entry in manifest.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == entry["sha256"], name


def test_vendored_modules_import_nothing_from_outside() -> None:
    """Each module stands alone: no bare specifier a browser cannot resolve, no remote import."""
    for path in VENDOR.glob("*.js"):
        imports = re.findall(r"""(?:\bfrom|\bimport)\s*\(?\s*["']([^"']+)["']""", path.read_text())
        outside = [spec for spec in imports if not spec.startswith(("./", "../"))]
        # @hpke/common falls back to Node's "crypto" only where globalThis.crypto is missing,
        # which never happens in a browser's secure context.
        assert [spec for spec in outside if spec != "crypto"] == [], path.name


def test_the_manifest_names_exactly_the_versions_the_script_pins() -> None:
    """Re-vendoring from the npm registry gives these files only at these exact versions."""
    script = (VENDOR.parent.parent / "scripts" / "vendor.sh").read_text()
    pinned = set(re.findall(r"^[A-Z_]+=(\d+\.\d+\.\d+)$", script, flags=re.MULTILINE))
    manifest = json.loads((VENDOR / "MANIFEST.json").read_text())
    for name, entry in manifest.items():
        for spec in entry["from"]:
            assert spec.rsplit("@", 1)[1] in pinned, f"{name}: {spec} is not pinned by scripts/vendor.sh"
    assert manifest["qrcode-generator.js"]["from"] == ["qrcode-generator@2.0.4"]
