"""The repository stands alone: no tracked code reads a `shared` folder beside the checkout.

Outside vectors live in tests/vectors/outside/; a clone in an empty folder must run every test.
The scan looks for a path being built to a folder named `shared` (`../shared`, `/ "shared"`,
`join(..., "shared")`), not for the word, so "shared secret" or `shared_server` pass.
"""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUFFIXES = {".py", ".js", ".mjs", ".cjs", ".sh"}
SKIPPED = {".venv", "node_modules", ".git"}

SIBLING_SHARED = re.compile(
    r"\.\.[/\\]+shared\b"                                            # "../shared", "$ROOT/../shared"
    r"|/\s*[\"']shared[\"'/\\]"                                      # ROOT.parent / "shared"
    r"|\b(?:join|joinpath|resolve)\(.*[(,]\s*[\"']shared[\"'/\\]"    # os.path.join(up, "..", "shared")
    r"|/work/shared\b"                                               # the absolute path of the sibling
)


def is_script(path: Path) -> bool:
    if path.suffix in SUFFIXES:
        return True
    if path.suffix:
        return False
    with path.open("rb") as handle:
        return handle.read(2) == b"#!"


def tracked_files() -> list[Path]:
    """The files git tracks, or every file outside the virtualenv when there is no git checkout."""
    try:
        listing = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
        paths = [ROOT / name for name in listing.decode("utf-8").split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        paths = [p for p in ROOT.rglob("*") if not SKIPPED & set(p.relative_to(ROOT).parts)]
    return [p for p in paths if p.is_file() and is_script(p)]


def test_the_scan_tells_a_sibling_path_from_the_word() -> None:
    # Given lines that build a path beside the checkout and lines that merely say "shared",
    # when scanned, then only the first kind is flagged.
    flagged = [
        'WYCHEPROOF = ROOT.parent / "shared" / "vectors"',
        "RFC = Path(__file__).resolve().parents[2].parent / 'shared/vectors/x.txt'",
        'os.path.join(os.path.dirname(__file__), "..", "..", "shared")',
        'const url = new URL("../../shared/vectors/", import.meta.url);',
        'cp "$(dirname "$0")/../shared/vectors/x.json" .',
        "open('/work/shared/vectors/x.json')",
    ]
    passed = [
        "let sharedSecret = await this._generateSharedSecret(dh, kemContext);",
        'def shared_server(tmp_path_factory): """a shared secret becomes public"""',
        'VECTORS = ROOT / "tests" / "vectors" / "outside" / "wycheproof"',
        "# Encodings shared by every format of the protocol",
        'assert ", ".join(names) == test["shared"], test["tcId"]',
    ]
    assert [line for line in flagged if not SIBLING_SHARED.search(line)] == []
    assert [line for line in passed if SIBLING_SHARED.search(line)] == []


def test_no_tracked_file_reads_a_shared_folder_beside_the_repository() -> None:
    # Given every tracked Python, JavaScript and shell file (this one excepted: it holds the
    # patterns), when scanned, then none builds a path into a sibling `shared` folder.
    files = [p for p in tracked_files() if p != Path(__file__).resolve()]
    assert len(files) > 50
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in files
             for number, line in enumerate(path.read_text("utf-8", errors="replace").splitlines(), 1)
             if SIBLING_SHARED.search(line)]
    assert found == []


def test_the_outside_vectors_are_in_the_repository() -> None:
    # Given the copied outside vectors, then each file the tests read is present with its
    # licence and recorded source.
    outside = ROOT / "tests" / "vectors" / "outside"
    names = {"README.md", "hpke-rfc9180-x25519-aes128gcm.txt", "wycheproof/LICENSE", "wycheproof/SOURCE_COMMIT",
             "wycheproof/x25519_test.json", "wycheproof/ed25519_test.json", "wycheproof/aes_gcm_test.json",
             "wycheproof/hkdf_sha256_test.json", "wycheproof/pbkdf2_hmacsha256_test.json"}
    assert [name for name in sorted(names) if not (outside / name).is_file()] == []
