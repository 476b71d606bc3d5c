"""The vectors follow from docs/PROTOCOL.md alone.

This file imports nothing from ``crypto/``: it rebuilds every exact vector from the spec's
definitions (sections 4 to 7) with bare primitives, as the browser implementation will. If the
spec and the reference ever disagree, this test, not only the reference, says so.
"""

import base64
import hashlib
import json
import unicodedata
from pathlib import Path

from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "protocol-v1.json").read_text("utf-8"))


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def u(value: int, size: int) -> bytes:
    return value.to_bytes(size, "big")


def hkdf(ikm: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(ikm)


def padme(length: int) -> int:
    e = length.bit_length() - 1
    s = e.bit_length()
    mask = (1 << (e - s)) - 1
    return (length + mask) & ~mask


def padded(body: bytes) -> bytes:
    size = padme(max(len(body) + 4, 256))
    return u(len(body), 4) + body + bytes(size - 4 - len(body))


def spoken(digest: bytes) -> str:
    return " ".join(f"{int.from_bytes(digest[5 * i:5 * i + 5], 'big') % 100000:05d}" for i in range(6))


def test_derivation_from_the_spec() -> None:
    row = VECTORS["derivation"][0]
    passphrase = unicodedata.normalize("NFC", row["passphrase"]).encode()
    salt = base64.urlsafe_b64decode(row["kdf"]["salt"] + "==")
    master = PBKDF2HMAC(hashes.SHA256(), 32, salt, row["kdf"]["iterations"]).derive(passphrase)
    assert master.hex() == row["master"]
    assert hkdf(master, b"carnet/v1/account/auth").hex() == row["auth"]
    kek = hkdf(master, b"carnet/v1/account/kek")
    assert kek.hex() == row["kek"]
    assert hkdf(kek, b"carnet/v1/kek/key-blob").hex() == row["key_blob_key"]


def test_padding_fingerprints_and_key_blobs_from_the_spec() -> None:
    for row in VECTORS["padding"]["sizes"]:
        assert padme(max(row["json_length"] + 4, 256)) == row["padded_size"]
    assert padded(VECTORS["padding"]["example"]["body_json"].encode()).hex() == VECTORS["padding"]["example"]["padded"]
    association, user = VECTORS["fingerprints"]
    digest = hashlib.sha256(b"carnet/v1/fingerprint/association\0" + h(association["signing_public"])).digest()
    assert (b64(digest), spoken(digest)) == (association["fingerprint"], association["spoken"])
    digest = hashlib.sha256(b"carnet/v1/fingerprint/user\0" + h(user["user_id"]) + h(user["encryption_public"])
                            + h(user["signing_public"])).digest()
    assert (b64(digest), spoken(digest)) == (user["fingerprint"], user["spoken"])
    for row in VECTORS["key_blobs"]:
        head = b"CNK\x01" + u(row["purpose"], 1) + h(row["user_id"])
        secret = h(row["encryption_private"]) + h(row["signing_private"]) if row["purpose"] == 1 \
            else h(row["signing_private"])
        sealed = AESGCM(hkdf(h(row["kek"]), b"carnet/v1/kek/key-blob")).encrypt(h(row["nonce"]), secret, head)
        assert b64(head + h(row["nonce"]) + sealed) == row["blob"]


def test_roster_entries_from_the_spec() -> None:
    roster = VECTORS["roster"]
    association = Ed25519PrivateKey.from_private_bytes(h(roster["association_seed"]))
    for row in roster["entries"]:
        body = (b"CNR\x01" + h(row["user_id"]) + u(row["serial"], 4) + u(row["role"], 1) + u(row["status"], 1)
                + h(row["team_id"]) + h(row["encryption_public"]) + h(row["signing_public"]) + u(row["issued_at"], 8))
        assert b64(body + association.sign(b"carnet/v1/sign/roster\0" + body)) == row["raw"]


def test_wrapped_keys_from_the_spec() -> None:
    suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
    for row in VECTORS["wraps"]:
        raw = base64.urlsafe_b64decode(row["wrapped"] + "==")
        assert raw[:4] == b"CNW\x01" and len(raw) == 120
        assert raw[4:40] == h(row["case_id"]) + u(row["epoch"], 4) + h(row["recipient"])
        info = b"carnet/v1/hpke/case-key\0" + raw[4:40]
        assert info.hex() == row["info"]
        private = X25519PrivateKey.from_private_bytes(h(row["recipient_private"]))
        assert suite.decrypt(raw[40:], private, info).hex() == row["case_key"]


def test_sealed_entries_from_the_spec() -> None:
    for row in VECTORS["seals"]:
        f = row["header"]
        header = (b"CNH\x01" + u(f["kind"], 1) + h(f["case_id"]) + h(f["entry_id"]) + u(f["epoch"], 4)
                  + h(f["author"]) + h(f["device_id"]) + u(f["device_seq"], 8) + h(f["prev_hash"])
                  + h(f["control_head"]) + u(f["lamport"], 8) + u(f["time"], 8))
        assert header.hex() == row["header_bytes"]
        key = hkdf(h(row["case_key"]), b"carnet/v1/case/entry-key\0" + h(f["case_id"]) + h(f["entry_id"])
                   + u(f["epoch"], 4))
        assert key.hex() == row["entry_key"]
        ref = h(row["ref"]) if row["ref"] else b""
        plaintext = padded(row["body_json"].encode())
        body = ref + h(row["nonce"]) + AESGCM(key).encrypt(h(row["nonce"]), plaintext, header + ref)
        assert body.hex() == row["body"]
        digest = hashlib.sha256(body).digest()
        signature = Ed25519PrivateKey.from_private_bytes(h(row["author_signing_seed"])).sign(
            b"carnet/v1/sign/entry\0" + header + digest)
        assert signature.hex() == row["signature"]
        assert hashlib.sha256(b"carnet/v1/hash/entry\0" + header + digest + signature).hexdigest() == row["entry_hash"]
        assert b64(b"CNE\x01" + header + u(len(body), 4) + body + signature) == row["envelope"]
        assert b64(b"CNS\x01" + header + digest + signature) == row["stub"]


def test_history_boxes_commitments_and_case_head_from_the_spec() -> None:
    for row in VECTORS["history"]:
        context = h(row["case_id"]) + u(row["new_epoch"], 4)
        key = hkdf(h(row["new_key"]), b"carnet/v1/case/history-key\0" + context)
        box = h(row["nonce"]) + AESGCM(key).encrypt(h(row["nonce"]), h(row["previous_key"]), b"")
        assert box.hex() == row["box"]
    for row in VECTORS["commitments"]:
        info = b"carnet/v1/case/key-commitment\0" + h(row["case_id"]) + u(row["epoch"], 4)
        assert hkdf(h(row["case_key"]), info).hex() == row["commitment"]
    expect = VECTORS["case_log"]["expect"]
    checkpoint = base64.urlsafe_b64decode(expect["checkpoint"] + "==")
    head = hashlib.sha256(b"carnet/v1/hash/case-head\0" + checkpoint).digest()
    assert (head.hex(), spoken(head)) == (expect["head"], expect["spoken_head"])
