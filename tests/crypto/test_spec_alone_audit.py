"""The bundle rules follow from docs/PROTOCOL.md alone (sections 9.2, 13 and 14).

Like test_spec_alone.py, this file imports nothing from ``crypto/``: it builds audit bundles byte
by byte from the spec (roster entries 6.2, entry hashes 7, audit records 13.2, heads 13.4, the
bundle 14.1) around the vector case log, and runs ``python -m crypto.verify`` as an outside
auditor would. The verdict and the counts the spec's wording gives are the ones expected.
"""

import base64
import copy
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "tests" / "vectors" / "protocol-v1.json").read_text("utf-8"))
AUDIT_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(40, 72)))
ASSOCIATION = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(VECTORS["roster"]["association_seed"]))
ACTIONS = {1: 1, 16: 2, 2: 3, 3: 4, 4: 5, 17: 6}  # entry kind (6.4) -> action code (13.1)
ROSTER_ENTRY = 18
CREATED_AT = 1_800_000_900_000


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def u(value: int, size: int) -> bytes:
    return value.to_bytes(size, "big")


def entry_fields(envelope: bytes) -> dict:
    """6.4 and 6.5 read by offsets; the entry hash of section 7."""
    header = envelope[4:165]
    size = int.from_bytes(envelope[165:169], "big")
    body, signature = envelope[169:169 + size], envelope[169 + size:]
    digest = hashlib.sha256(body).digest()
    return {"kind": header[4], "case_id": header[5:21], "author": header[41:57], "time": int.from_bytes(header[153:161], "big"),
            "hash": hashlib.sha256(b"carnet/v1/hash/entry\0" + header + digest + signature).digest()}


def roster_entry(user_id: bytes, serial: int, status: int, issued_at: int, like: bytes) -> bytes:
    """6.2: a person's entry with another serial and status, the rest as in ``like``, signed anew."""
    body = b"CNR\x01" + user_id + u(serial, 4) + like[24:25] + u(status, 1) + like[26:106] + u(issued_at, 8)
    return body + ASSOCIATION.sign(b"carnet/v1/sign/roster\0" + body)


def record(seq: int, action: int, actor: bytes, subject: bytes, digest: bytes, prev: bytes) -> bytes:
    return b"CNA\x01" + u(seq, 8) + u(CREATED_AT - 1000, 8) + u(action, 1) + actor + subject + digest + prev


def chain(items: list[tuple[int, bytes, bytes, bytes]]) -> list[bytes]:
    """13.2 and 13.3: seq from 1, each naming the record hash of the one before (ZERO32 first)."""
    records, prev = [], bytes(32)
    for seq, (action, actor, subject, digest) in enumerate(items, start=1):
        raw = record(seq, action, actor, subject, digest, prev)
        records.append(raw)
        prev = hashlib.sha256(b"carnet/v1/hash/audit-record\0" + raw).digest()
    return records


def head(records: list[bytes]) -> bytes:
    """13.4, signed at the bundle's creation time."""
    last = hashlib.sha256(b"carnet/v1/hash/audit-record\0" + records[-1]).digest() if records else bytes(32)
    body = b"CNT\x01" + u(len(records), 8) + last + u(CREATED_AT, 8)
    return body + AUDIT_KEY.sign(b"carnet/v1/sign/audit-head\0" + body)


def roster_items(extra: list[bytes] = ()) -> list[tuple[int, bytes, bytes, bytes]]:
    return [(ROSTER_ENTRY, bytes(16), raw[4:20], hashlib.sha256(raw).digest()) for raw in extra]


def entry_items() -> list[tuple[int, bytes, bytes, bytes]]:
    fields = [entry_fields(unb64(e)) for e in VECTORS["case_log"]["envelopes"]]
    return [(ACTIONS[f["kind"]], f["author"], f["case_id"], f["hash"]) for f in fields]


def bundle(items: list[tuple[int, bytes, bytes, bytes]], roster: list[bytes]) -> dict:
    """14.1: the vector case, its team read from its author's roster entry, and the given log."""
    records = chain(items)
    alice = bytes.fromhex(next(e for e in VECTORS["roster"]["entries"] if e["name"] == "alice")["team_id"])
    return {
        "format": "carnet-audit-bundle", "version": 1, "created_at": CREATED_AT, "app_version": "spec",
        "association_public_key": b64(bytes.fromhex(VECTORS["roster"]["association_public"])),
        "audit_public_key": b64(AUDIT_KEY.public_key().public_bytes_raw()),
        "database": {"cipher_page_size": "4096", "kdf_iter": "256000", "cipher_hmac_algorithm": "HMAC_SHA512",
                     "cipher_kdf_algorithm": "PBKDF2_HMAC_SHA512", "cipher_version": "4.6.1"},
        "static_files": {}, "roster": [b64(r) for r in roster],
        "cases": [{"case_id": b64(bytes.fromhex(VECTORS["case_log"]["case_id"])), "team_id": b64(alice),
                   "entries": VECTORS["case_log"]["envelopes"]}],
        "audit_log": [b64(r) for r in records], "audit_head": b64(head(records)),
    }


def base_roster() -> list[bytes]:
    return [unb64(e["raw"]) for e in VECTORS["roster"]["entries"]]


def person(name: str) -> bytes:
    return next(unb64(e["raw"]) for e in VECTORS["roster"]["entries"] if e["name"] == name)


def verify(tmp_path: Path, data: bytes | dict, *options: str, previous: dict | None = None) -> dict:
    path = tmp_path / "bundle.json"
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    if previous is not None:
        (tmp_path / "previous.json").write_text(json.dumps(previous))
        options = (*options, "--previous", str(tmp_path / "previous.json"))
    done = subprocess.run([sys.executable, "-m", "crypto.verify", str(path), "--json", *options], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    report = json.loads(done.stdout)
    assert done.returncode == (0 if report["ok"] else 1)
    return report


def failed(report: dict) -> list[str]:
    return [c["name"] for c in report["checks"] if c["failed"]]


def counted(report: dict) -> dict[str, int]:
    return {c["name"]: c["checked"] for c in report["checks"]}


@pytest.fixture(scope="module")
def spec_bundle() -> dict:
    return bundle(roster_items(base_roster()) + entry_items(), base_roster())


def test_a_bundle_built_from_the_spec_verifies_with_the_counts_its_wording_gives(spec_bundle: dict,
                                                                                tmp_path: Path) -> None:
    report = verify(tmp_path, spec_bundle)
    assert report["ok"], report
    entries, people = len(VECTORS["case_log"]["envelopes"]), len(base_roster())
    counts = counted(report)
    assert counts["audit_coverage"] == 2 * entries and counts["revoked_members"] == entries
    assert counts["roster_completeness"] == 2 * people and counts["continuity"] == 0
    fingerprint = hashlib.sha256(AUDIT_KEY.public_key().public_bytes_raw()).hexdigest()
    assert report["facts"]["audit_key_fingerprint"] == fingerprint
    assert report["facts"]["audit_head_count"] == people + entries


def test_reading_rules_from_the_spec(spec_bundle: dict, tmp_path: Path) -> None:
    text = json.dumps(spec_bundle)
    for data in (b"\xef\xbb\xbf" + text.encode(), text.encode("utf-16"),
                 text.replace('"version": 1,', '"version": 1, "version": 1,').encode(),
                 text.replace(f'"created_at": {CREATED_AT}', '"created_at": NaN').encode()):
        assert failed(verify(tmp_path, data)) == ["bundle_format"]
    listed_twice = copy.deepcopy(spec_bundle)
    listed_twice["cases"] *= 2
    assert failed(verify(tmp_path, listed_twice)) == ["bundle_format"]
    other_team = copy.deepcopy(spec_bundle)
    other_team["cases"][0]["team_id"] = b64(person("olga")[26:42])
    assert failed(verify(tmp_path, other_team)) == ["case_logs"]


def test_revocations_from_the_spec(tmp_path: Path) -> None:
    # 9.2: bob's revocation signed at the time of carol's ADD of bob: the grant comes after it.
    add = next(entry_fields(unb64(e)) for e in VECTORS["case_log"]["envelopes"] if unb64(e)[8] == 2)
    bob = person("bob")
    at_the_grant = roster_entry(bob[4:20], 2, 2, add["time"], bob)
    roster = [*base_roster(), at_the_grant]
    report = verify(tmp_path, bundle(roster_items(roster) + entry_items(), roster))
    assert failed(report) == ["revoked_members"]
    # Signed after every entry's time and recorded after every entry: nothing comes after it.
    late = roster_entry(bob[4:20], 2, 2, CREATED_AT, bob)
    roster = [*base_roster(), late]
    assert verify(tmp_path, bundle(roster_items(base_roster()) + entry_items() + roster_items([late]), roster))["ok"]
    # The same revocation recorded before the ADD's record: the grant was stored after it.
    items = entry_items()
    position = next(i for i, item in enumerate(items) if item[0] == 3)
    reordered = roster_items(base_roster()) + items[:position] + roster_items([late]) + items[position:]
    assert failed(verify(tmp_path, bundle(reordered, roster))) == ["revoked_members"]


def test_roster_completeness_from_the_spec(tmp_path: Path) -> None:
    bob = person("bob")
    revocation = roster_entry(bob[4:20], 2, 2, CREATED_AT, bob)
    roster = [*base_roster(), revocation]
    items = roster_items(base_roster()) + entry_items() + roster_items([revocation])
    assert verify(tmp_path, bundle(items, roster))["ok"]
    assert failed(verify(tmp_path, bundle(items, base_roster()))) == ["roster_completeness"]
    gap = roster_entry(bob[4:20], 3, 2, CREATED_AT, bob)
    assert failed(verify(tmp_path, bundle(roster_items(base_roster()) + entry_items(), [*base_roster(), gap]))) == [
        "roster_completeness"]


def test_coverage_and_continuity_from_the_spec(spec_bundle: dict, tmp_path: Path) -> None:
    items = roster_items(base_roster()) + entry_items()
    doubled = bundle([*items, items[-1]], base_roster())
    assert failed(verify(tmp_path, doubled)) == ["audit_coverage"]
    wrong_actor = bundle([*items[:-1], (items[-1][0], bytes(16), *items[-1][2:])], base_roster())
    assert failed(verify(tmp_path, wrong_actor)) == ["audit_coverage"]
    # 14.4: a later bundle extends the earlier one; the earlier one shown after it is a rollback.
    later = bundle([*items, (32, bytes(16), bytes(16), bytes(32))], base_roster())
    fingerprint = hashlib.sha256(AUDIT_KEY.public_key().public_bytes_raw()).hexdigest()
    assert verify(tmp_path, later, "--audit-key", fingerprint, previous=spec_bundle)["ok"]
    assert failed(verify(tmp_path, spec_bundle, previous=later)) == ["continuity"]
    assert failed(verify(tmp_path, spec_bundle, "--audit-key", "00" * 32)) == ["continuity"]
