"""The offline verifier and the audit log format, on bundles built here without a server.

Each test breaks one thing and checks that the verifier names exactly the check that guards it.
"""

import copy
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto import verify
from crypto.audit import (
    ZERO_HASH,
    Action,
    AuditRecord,
    check_audit_chain,
    next_audit_record,
    parse_audit_record,
    sign_audit_head_as_server,
    verify_audit_head,
)
from crypto.control import RotateKey, Rotation, RotationMode
from crypto.caselog import verify_case_log
from crypto.casekeys import wrap_case_key_for_member
from crypto.encoding import b64url_decode, b64url_encode
from crypto.entry import Kind, parse_entry
from crypto.errors import BrokenChain, InvalidEncoding, InvalidSignature, UnsupportedVersion

from crypto.keys import generate_account_keys
from crypto.roster import Role, sign_roster_entry_as_admin
from crypto.writer import create_case_as_member, seal_entry_as_author

from tests.crypto.scenario import T0, World, body, craft, make_world, replay, standard_case

AUDIT_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
CIPHER = {"cipher_page_size": "4096", "kdf_iter": "256000", "cipher_hmac_algorithm": "HMAC_SHA512",
          "cipher_kdf_algorithm": "PBKDF2_HMAC_SHA512", "cipher_version": "4.19.0 community"}


def records_for(cases: dict[bytes, list[bytes]]) -> list[AuditRecord]:
    records: list[AuditRecord] = []
    for case_id, envelopes in cases.items():
        for raw in envelopes:
            entry = parse_entry(raw)
            action = verify.ACTION_OF_KIND[entry.header.kind]
            records.append(next_audit_record(records[-1] if records else None, time=T0, action=action,
                                             actor=entry.header.author, subject=case_id, digest=entry.hash))
    return records


def team_of(world: World, case_id: bytes, envelopes: list[bytes]) -> bytes:
    return verify_case_log(case_id, envelopes[:1], world.association.public_key).state.team_id


def make_bundle(world: World, cases: dict[bytes, list[bytes]]) -> dict:
    records = records_for(cases)
    head = sign_audit_head_as_server(AUDIT_KEY, count=len(records), last_hash=records[-1].hash, time=T0)
    return {
        "format": "carnet-audit-bundle", "version": 1, "created_at": T0, "app_version": "test",
        "association_public_key": b64url_encode(world.association.public),
        "audit_public_key": b64url_encode(AUDIT_KEY.public_key().public_bytes_raw()),
        "database": dict(CIPHER), "static_files": {"js/app.js": "ab" * 32},
        "roster": [b64url_encode(p.roster.raw) for p in world.people.values()],
        "cases": [{"case_id": b64url_encode(case_id), "team_id": b64url_encode(team_of(world, case_id, envelopes)), "entries": [b64url_encode(e) for e in envelopes]}
                  for case_id, envelopes in cases.items()],
        "audit_log": [b64url_encode(r.to_bytes()) for r in records],
        "audit_head": b64url_encode(head.to_bytes()),
    }


@pytest.fixture(scope="module")
def world() -> World:
    return make_world()


@pytest.fixture(scope="module")
def standard(world: World):
    return standard_case(world)


@pytest.fixture(scope="module")
def good(world: World, standard) -> dict:
    olga = world["olga"]
    other = create_case_as_member(olga.keys, association_key=world.association.public_key,
                                  team_id=world.other_team_id, device_id=olga.device_id,
                                  members=[olga.roster, world["oscar"].roster], case_id=b"\x07" * 16)
    note = seal_entry_as_author(other.log, olga.keys, device_id=olga.device_id, case_key=other.case_key,
                                body_json=body("intake", alias="A."))
    return make_bundle(world, {standard.case_id: standard.envelopes, other.case_id: [other.envelope, note]})


def run(bundle: dict) -> verify.Report:
    return verify.verify_bundle(json.dumps(bundle).encode())


def envelopes_of(bundle: dict, case: int = 0) -> list[bytes]:
    return [b64url_decode(e) for e in bundle["cases"][case]["entries"]]


def set_envelopes(bundle: dict, envelopes: list[bytes], case: int = 0) -> None:
    bundle["cases"][case]["entries"] = [b64url_encode(e) for e in envelopes]


def test_a_sound_bundle_passes_every_check_and_counts_them(good: dict) -> None:
    report = run(good)
    assert report.ok and report.failed == []
    counts = {c["name"]: c["checked"] for c in report.to_json()["checks"]}
    assert counts["entry_signatures"] == counts["device_sequences"] == 12
    assert counts["epoch_changes"] == 3 and counts["removed_members"] == 2 and counts["case_logs"] == 2
    assert counts["audit_chain"] == 12 and counts["cipher_settings"] == 5
    assert "RESULT: every check holds" in report.to_text()


@pytest.mark.parametrize("change, message", [
    (lambda b: b.update(extra=1), "exactly"),
    (lambda b: b.update(version=2), "version 1"),
    (lambda b: b.update(version=True), "version 1"),
    (lambda b: b.update(created_at="now"), "created_at"),
    (lambda b: b["database"].pop("kdf_iter"), "cipher settings"),
    (lambda b: b.update(static_files={"a": "not hex"}), "static_files"),
    (lambda b: b["cases"][0].pop("team_id"), "cases"),
    (lambda b: b.update(audit_public_key=b64url_encode(bytes(32))), "public key"),
    (lambda b: b.update(roster="x"), "list of strings"),
    (lambda b: b.update(audit_head="AB="), "base64url"),
])
def test_a_malformed_bundle_fails_the_format_check_alone(good: dict, change, message: str) -> None:
    bundle = copy.deepcopy(good)
    change(bundle)
    report = run(bundle)
    assert report.failed == ["bundle_format"] and message in report.checks["bundle_format"].failures[0]


def test_a_file_that_is_not_json_fails_the_format_check() -> None:
    assert verify.verify_bundle(b"\xff not json").failed == ["bundle_format"]


def test_other_cipher_settings_fail_their_check(good: dict) -> None:
    bundle = copy.deepcopy(good)
    bundle["database"].update(kdf_iter="4000", cipher_version="3.4.2")
    report = run(bundle)
    assert report.failed == ["cipher_settings"] and len(report.checks["cipher_settings"].failures) == 2


def test_a_forged_or_repeated_roster_entry_fails_the_roster_check(good: dict) -> None:
    bundle = copy.deepcopy(good)
    forged = bytearray(b64url_decode(bundle["roster"][0]))
    forged[-1] ^= 1
    bundle["roster"] += [b64url_encode(bytes(forged)), bundle["roster"][1]]
    report = run(bundle)
    assert report.failed == ["roster_signatures"] and len(report.checks["roster_signatures"].failures) == 2


def test_an_author_missing_from_the_roster_fails_the_signature_check(good: dict, world: World) -> None:
    bundle = copy.deepcopy(good)
    bundle["roster"].remove(b64url_encode(world["bob"].roster.raw))
    assert "entry_signatures" in run(bundle).failed


def test_an_unparsable_envelope_or_one_filed_under_another_case_fails_the_format_check(good: dict) -> None:
    bundle = copy.deepcopy(good)
    first, second = envelopes_of(bundle, 0), envelopes_of(bundle, 1)
    set_envelopes(bundle, [*first[:-1], first[-1][:-1]], 0)
    set_envelopes(bundle, [*second, first[-2]], 1)
    report = run(bundle)
    assert len(report.checks["envelope_format"].failures) == 2
    assert {"envelope_format", "case_logs"} <= set(report.failed)


def test_a_control_payload_that_does_not_parse_fails_the_epoch_check(good: dict, world: World, standard) -> None:
    bundle = copy.deepcopy(good)
    log = replay(world, standard.envelopes[:1])
    broken = craft(log, world["carol"], Kind.ROTATE, b"\x09")
    set_envelopes(bundle, [*envelopes_of(bundle)[:1], broken])
    assert "epoch_changes" in run(bundle).failed


def test_a_rotation_by_a_volunteer_fails_the_epoch_check(good: dict, world: World, standard) -> None:
    bundle = copy.deepcopy(good)
    log = replay(world, standard.envelopes[:2])
    wraps = tuple(wrap_case_key_for_member(bytes(32), case_id=log.case_id, epoch=2, recipient=m)
                  for _, m in sorted(log.state.members.items()))
    payload = RotateKey(Rotation(RotationMode.FULL, bytes(32), wraps, None)).to_bytes()
    rotation = craft(log, world["alice"], Kind.ROTATE, payload, epoch=2)
    set_envelopes(bundle, [*envelopes_of(bundle)[:2], rotation])
    report = run(bundle)
    assert "epoch_changes" in report.failed and "removed_members" not in report.failed


def test_a_key_wrapped_to_a_removed_member_fails_the_removal_check(good: dict, world: World, standard) -> None:
    bundle = copy.deepcopy(good)
    log = replay(world, standard.envelopes)
    members = dict(log.state.members)
    members[world["bob"].user_id] = world["bob"].roster
    wraps = tuple(wrap_case_key_for_member(bytes(32), case_id=log.case_id, epoch=log.state.epoch + 1, recipient=m)
                  for _, m in sorted(members.items()))
    payload = RotateKey(Rotation(RotationMode.FULL, bytes(32), wraps, None)).to_bytes()
    rotation = craft(log, world["carol"], Kind.ROTATE, payload, epoch=log.state.epoch + 1)
    set_envelopes(bundle, [*envelopes_of(bundle), rotation])
    report = run(bundle)
    assert "removed_members" in report.failed and "case_logs" in report.failed


def test_a_readded_member_may_be_wrapped_keys_again(world: World) -> None:
    case = standard_case(world)
    case.add("carol", "bob")
    case.rotate("carol")
    report = run(make_bundle(world, {case.case_id: case.envelopes}))
    assert report.ok and report.checks["removed_members"].checked == 3


def test_a_plaintext_body_fails_the_entropy_check(good: dict, world: World, standard) -> None:
    bundle = copy.deepcopy(good)
    log = replay(world, standard.envelopes)
    plain = craft(log, world["alice"], Kind.CONTENT, b'{"notes":"' + b"a" * 262 + b'"}' + b"\0" * 10)
    set_envelopes(bundle, [*envelopes_of(bundle), plain])
    report = run(bundle)
    assert "ciphertext_entropy" in report.failed and "bits per byte" in report.checks["ciphertext_entropy"].failures[0]


def test_a_reordered_entry_fails_the_sequence_and_link_checks(good: dict) -> None:
    bundle = copy.deepcopy(good)
    envelopes = envelopes_of(bundle)
    envelopes[-1], envelopes[-2] = envelopes[-2], envelopes[-1]
    envelopes[1], envelopes[5] = envelopes[5], envelopes[1]
    set_envelopes(bundle, envelopes)
    assert {"device_sequences", "hash_links", "case_logs"} <= set(run(bundle).failed)


def test_removed_changed_or_unreadable_audit_records_fail_the_chain_check(good: dict) -> None:
    bundle = copy.deepcopy(good)
    changed = bytearray(b64url_decode(bundle["audit_log"][3]))
    changed[0] ^= 1
    bundle["audit_log"][3] = b64url_encode(bytes(changed))
    del bundle["audit_log"][6]
    report = run(bundle)
    assert {"audit_chain", "audit_head"} <= set(report.failed)
    # The changed record does not parse, the next does not follow the one before it, and the
    # record after the removed one does not either: three failures, the rest of the chain holds.
    assert len(report.checks["audit_chain"].failures) == 3


def test_a_head_signed_by_another_key_fails_the_head_check(good: dict) -> None:
    bundle = copy.deepcopy(good)
    other = Ed25519PrivateKey.generate()
    bundle["audit_head"] = b64url_encode(sign_audit_head_as_server(other, count=1, last_hash=b"\1" * 32, time=T0)
                                         .to_bytes())
    assert run(bundle).failed == ["audit_head"]


def test_an_entry_without_its_record_and_a_record_without_its_entry_fail_the_coverage_check(good: dict) -> None:
    bundle = copy.deepcopy(good)
    envelopes = envelopes_of(bundle, 1)
    set_envelopes(bundle, envelopes[:-1], 1)
    report = run(bundle)
    assert report.failed == ["audit_coverage"] and "missing from the bundle" in report.checks["audit_coverage"].failures[0]
    extra = copy.deepcopy(good)
    extra["audit_log"] = extra["audit_log"][:-1]
    extra_records = [parse_audit_record(b64url_decode(r)) for r in extra["audit_log"]]
    extra["audit_head"] = b64url_encode(sign_audit_head_as_server(
        AUDIT_KEY, count=len(extra_records), last_hash=extra_records[-1].hash, time=T0).to_bytes())
    assert run(extra).failed == ["audit_coverage"]


def test_the_command_prints_text_or_json_and_exits_0_only_when_every_check_holds(
        good: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(good))
    assert verify.main([str(path)]) == 0
    assert "ok   entry_signatures" in capsys.readouterr().out
    bad = copy.deepcopy(good)
    bad["database"]["kdf_iter"] = "1"
    path.write_text(json.dumps(bad))
    assert verify.main([str(path), "--json"]) == 1
    printed = json.loads(capsys.readouterr().out)
    assert printed["ok"] is False and [c["name"] for c in printed["checks"] if c["failed"]] == ["cipher_settings"]


# The audit log format on its own -------------------------------------------------------------------

def test_audit_records_chain_and_refuse_every_malformation() -> None:
    first = next_audit_record(None, time=1, action=Action.LOGIN, actor=b"\1" * 16)
    second = next_audit_record(first, time=2, action=Action.EXPORT)
    assert parse_audit_record(second.to_bytes()) == second and len(second.to_bytes()) == 117
    check_audit_chain([first, second])
    check_audit_chain([second], after=first)
    with pytest.raises(BrokenChain):
        check_audit_chain([second])
    raw = bytearray(second.to_bytes())
    raw[20] = 99
    with pytest.raises(InvalidEncoding, match="unknown audit action"):
        parse_audit_record(bytes(raw))
    with pytest.raises(InvalidEncoding, match="first record"):
        parse_audit_record(AuditRecord(2, 1, Action.LOGIN, bytes(16), bytes(16), ZERO_HASH, ZERO_HASH).to_bytes())
    raw = bytearray(first.to_bytes())
    raw[3] = 2
    with pytest.raises(UnsupportedVersion):
        parse_audit_record(bytes(raw))


def test_the_audit_head_verifies_only_under_its_key_and_only_as_signed() -> None:
    head = sign_audit_head_as_server(AUDIT_KEY, count=0, last_hash=ZERO_HASH, time=5)
    assert verify_audit_head(head.to_bytes(), AUDIT_KEY.public_key()) == head and len(head.to_bytes()) == 116
    with pytest.raises(InvalidSignature):
        verify_audit_head(head.to_bytes(), Ed25519PrivateKey.generate().public_key())
    mismatched = sign_audit_head_as_server(AUDIT_KEY, count=0, last_hash=b"\1" * 32, time=5)
    with pytest.raises(InvalidEncoding, match="empty log"):
        verify_audit_head(mismatched.to_bytes(), AUDIT_KEY.public_key())


def test_an_author_with_a_later_key_reset_still_has_their_older_entries_verified(good: dict, world: World) -> None:
    alice = world["alice"]
    reset = generate_account_keys(alice.user_id)
    later = sign_roster_entry_as_admin(world.association, user_id=alice.user_id, serial=2, role=Role.VOLUNTEER,
                                       team_id=world.team_id, encryption_public=reset.encryption_public,
                                       signing_public=reset.signing_public, now=T0)
    bundle = copy.deepcopy(good)
    bundle["roster"].append(b64url_encode(later.raw))
    assert run(bundle).ok
