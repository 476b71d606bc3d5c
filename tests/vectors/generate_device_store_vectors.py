"""Write tests/vectors/device-store-v1.json: the device store's key wrapping, with and without a
PRF factor, for Python (tests/test_devicestore.py) and the browser
(tests/browser/test_device_key_browser.py).

Run from the repository root: ``python tests/vectors/generate_device_store_vectors.py``.
"""

import json
from pathlib import Path

from crypto.devicestore import mode_of, wrap_local_key, wrapping_key
from crypto.kdf import KdfParams, derive_account_secrets

PASSPHRASE = "phrase secrète du coffre de test"
PARAMS = KdfParams(iterations=600_000, salt=bytes(range(16)))
CASES = [
    ("passphrase alone (mode 1)", None, "user-1"),
    ("passphrase and PRF output (mode 2)", bytes(range(32, 64)), "user-1"),
    ("mode 2, another PRF output, a non-ASCII user id", bytes.fromhex("ff" * 32), "usager-é"),
]


def main() -> None:
    kek = derive_account_secrets(PASSPHRASE, PARAMS).kek
    local_key = bytes(range(100, 132))
    nonce = bytes(range(12))
    vectors = []
    for comment, prf, user_id in CASES:
        vectors.append({
            "comment": comment, "passphrase": PASSPHRASE, "kdf": PARAMS.to_json(), "kek": kek.hex(),
            "prf": prf.hex() if prf else None, "mode": mode_of(prf), "user_id": user_id,
            "wrapping_key": wrapping_key(kek, prf).hex(), "local_key": local_key.hex(), "nonce": nonce.hex(),
            "wrapped": wrap_local_key(kek, prf, user_id, local_key, nonce).hex()})
    out = Path(__file__).with_name("device-store-v1.json")
    out.write_text(json.dumps({"version": 1, "vectors": vectors}, ensure_ascii=False, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
