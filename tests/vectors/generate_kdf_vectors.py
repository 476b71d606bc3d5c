"""Write tests/vectors/kdf-v1.json: passphrase derivation vectors for Python and the browser.

Run from the repository root: ``python tests/vectors/generate_kdf_vectors.py``. The file is
committed; both test suites check their implementation against it.
"""

import json
from pathlib import Path

from crypto.kdf import KdfParams, derive_master_secret, split_master_secret

CASES = [
    ("ascii words", "correct horse battery staple", bytes(range(16)), 600_000),
    ("French, composed and decomposed accents give the same bytes", "e\u0301te\u0301 a\u0300 Marseille",
     bytes.fromhex("a1b2c3d4e5f60718293a4b5c6d7e8f90"), 600_000),
    ("Arabic", "كلمة سر طويلة جدا", bytes.fromhex("00ff00ff00ff00ff00ff00ff00ff00ff"), 600_001),
    ("emoji and spaces", "  🔐 carnet 2026  ", bytes(16), 650_000),
]


def main() -> None:
    vectors = []
    for comment, passphrase, salt, iterations in CASES:
        params = KdfParams(iterations=iterations, salt=salt)
        master = derive_master_secret(passphrase, params)
        secrets = split_master_secret(master)
        vectors.append({"comment": comment, "passphrase": passphrase, "kdf": params.to_json(),
                        "master": master.hex(), "auth": secrets.auth.hex(), "kek": secrets.kek.hex()})
    out = Path(__file__).with_name("kdf-v1.json")
    out.write_text(json.dumps({"version": 1, "vectors": vectors}, ensure_ascii=False, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
