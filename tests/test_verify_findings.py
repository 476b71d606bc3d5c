"""What an outside verifier, written from PROTOCOL.md alone, found that ``crypto.verify`` accepted
(issue 17), each as a tampered or forged bundle that now fails the check named in 14.2.

Every forgery here keeps its signatures, records and head valid unless the test says otherwise:
the audit log is re-chained and the head re-signed, as a server rewriting its own bundle would.
"""

import copy
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto import verify
from crypto.audit import Action, AuditRecord, next_audit_record, parse_audit_record, sign_audit_head_as_server
from crypto.encoding import b64url_decode, b64url_encode
from crypto.entry import parse_entry
from crypto.roster import RosterEntry, Status, sign_roster_entry_as_admin

from tests.crypto.scenario import MINUTE, T0, World, body, standard_case
from tests.test_verify import AUDIT_KEY, envelopes_of, good, make_bundle, run, set_envelopes, standard, world

__all__ = ["good", "standard", "world"]


def records_of(bundle: dict) -> list[AuditRecord]:
    return [parse_audit_record(b64url_decode(r)) for r in bundle["audit_log"]]


def rewrite_log(bundle: dict, records: list[AuditRecord], key: Ed25519PrivateKey = AUDIT_KEY) -> dict:
    """Re-chain the records as given and sign a new head: what a server rewriting its log does."""
    chained: list[AuditRecord] = []
    for r in records:
        chained.append(next_audit_record(chained[-1] if chained else None, time=r.time, action=r.action,
                                         actor=r.actor, subject=r.subject, digest=r.digest))
    head = sign_audit_head_as_server(key, count=len(chained), last_hash=chained[-1].hash, time=bundle["created_at"])
    bundle.update(audit_log=[b64url_encode(r.to_bytes()) for r in chained], audit_head=b64url_encode(head.to_bytes()),
                  audit_public_key=b64url_encode(key.public_key().public_bytes_raw()))
    return bundle


def roster_record(entry: RosterEntry) -> AuditRecord:
    return AuditRecord(1, T0, Action.ROSTER_ENTRY, bytes(16), entry.user_id, hashlib.sha256(entry.raw).digest(),
                       bytes(32))


def revoke(world: World, name: str, at: int, serial: int = 2) -> RosterEntry:
    who = world[name]
    return sign_roster_entry_as_admin(world.association, user_id=who.user_id, serial=serial, role=who.roster.role,
                                      team_id=who.roster.team_id, encryption_public=who.keys.encryption_public,
                                      signing_public=who.keys.signing_public, status=Status.REVOKED, now=at)


def failures(report: verify.Report, name: str) -> list[str]:
    return report.checks[name].failures


# Strict parsing (14.1) ------------------------------------------------------------------------------

@pytest.mark.parametrize("team_id, message", [(7, "team_id"), ("Prisons", "team_id"), (b64url_encode(bytes(16)), "id")])
def test_a_team_id_that_is_no_id_fails_the_format_check(good: dict, team_id: object, message: str) -> None:
    bundle = copy.deepcopy(good)
    bundle["cases"][0]["team_id"] = team_id
    report = run(bundle)
    assert report.failed == ["bundle_format"] and message in failures(report, "bundle_format")[0]


def test_a_utf16_file_and_a_byte_order_mark_fail_the_format_check(good: dict) -> None:
    text = json.dumps(good)
    for data, message in ((text.encode("utf-16"), "UTF-8"), (text.encode("utf-16-le"), "UTF-8"),
                          (b"\xef\xbb\xbf" + text.encode(), "byte-order mark")):
        report = verify.verify_bundle(data)
        assert report.failed == ["bundle_format"] and message in failures(report, "bundle_format")[0]


def test_a_member_name_given_twice_fails_the_format_check_whichever_copy_is_right(good: dict) -> None:
    text = json.dumps(good)
    for doubled in (text.replace('"app_version": "test"', '"app_version": "test", "app_version": "test"'),
                    text.replace('"version": 1,', '"version": 1, "version": 1,')):
        report = verify.verify_bundle(doubled.encode())
        assert report.failed == ["bundle_format"] and "twice" in failures(report, "bundle_format")[0]


@pytest.mark.parametrize("created_at", [-1, 0, 2**53, 1.5])
def test_a_creation_time_out_of_range_fails_the_format_check(good: dict, created_at: object) -> None:
    bundle = copy.deepcopy(good)
    bundle["created_at"] = created_at
    assert run(bundle).failed == ["bundle_format"]


def test_nan_and_infinity_fail_the_format_check(good: dict) -> None:
    for constant in ("NaN", "Infinity", "-Infinity"):
        data = json.dumps(good).replace(f'"created_at": {T0}', f'"created_at": {constant}').encode()
        report = verify.verify_bundle(data)
        assert report.failed == ["bundle_format"] and "not a JSON number" in failures(report, "bundle_format")[0]


def test_bad_base64url_or_ids_inside_the_arrays_fail_the_format_check(good: dict) -> None:
    for change in (lambda b: b["roster"].append("a+b"), lambda b: b["audit_log"].append(7),
                   lambda b: b["cases"][0]["entries"].append("AB="),
                   lambda b: b["cases"][0].update(case_id=b64url_encode(bytes(15)))):
        bundle = copy.deepcopy(good)
        change(bundle)
        assert run(bundle).failed == ["bundle_format"]


def test_a_case_listed_twice_fails_the_format_check(good: dict) -> None:
    bundle = copy.deepcopy(good)
    bundle["cases"].append(copy.deepcopy(bundle["cases"][1]))
    report = run(bundle)
    assert report.failed == ["bundle_format"] and "listed twice" in failures(report, "bundle_format")[0]


def test_a_case_listed_under_another_team_than_its_genesis_fails_the_case_check(good: dict, world: World) -> None:
    bundle = copy.deepcopy(good)
    bundle["cases"][0]["team_id"] = b64url_encode(world.other_team_id)
    report = run(bundle)
    assert report.failed == ["case_logs"] and "another team" in failures(report, "case_logs")[0]


# Roster completeness ------------------------------------------------------------------------------------

def bundle_with_revocation(world: World, good: dict, revocation: RosterEntry) -> dict:
    bundle = copy.deepcopy(good)
    bundle["roster"].append(b64url_encode(revocation.raw))
    return rewrite_log(bundle, [*records_of(bundle), roster_record(revocation)])


def test_a_hidden_revocation_fails_the_completeness_check(good: dict, world: World) -> None:
    # Given a revocation of bob signed after he left the case, recorded in the audit log.
    bundle = bundle_with_revocation(world, good, revoke(world, "bob", T0 + 60 * MINUTE))
    assert run(bundle).ok
    # When the server drops it from the roster, then the record names an entry the bundle lacks.
    bundle["roster"].pop()
    report = run(bundle)
    assert report.failed == ["roster_completeness"] and "missing from the bundle" in failures(
        report, "roster_completeness")[0]


def test_a_hidden_account_that_wrote_nothing_fails_the_completeness_check(good: dict, world: World) -> None:
    bundle = rewrite_log(copy.deepcopy(good), [roster_record(world["dan"].roster), *records_of(good)])
    assert run(bundle).ok
    bundle["roster"].remove(b64url_encode(world["dan"].roster.raw))
    assert run(bundle).failed == ["roster_completeness"]


def test_a_missing_serial_fails_the_completeness_check(good: dict, world: World) -> None:
    bundle = copy.deepcopy(good)
    bundle["roster"].append(b64url_encode(revoke(world, "dan", T0, serial=3).raw))
    report = run(bundle)
    assert report.failed == ["roster_completeness"] and "serials [1, 3]" in failures(report, "roster_completeness")[0]


# Revoked members (PROTOCOL 9.2) --------------------------------------------------------------------------

def test_a_grant_after_a_revocation_fails_the_revocation_check(good: dict, world: World) -> None:
    # Given bob revoked before carol adds him (the ADD is dated 2 minutes after the genesis).
    bundle = copy.deepcopy(good)
    bundle["roster"].append(b64url_encode(revoke(world, "bob", T0 + MINUTE // 2).raw))
    report = run(bundle)
    assert report.failed == ["revoked_members"]
    assert any("granting a person revoked" in f for f in failures(report, "revoked_members"))


def test_a_backdated_grant_stored_after_the_revocation_fails_by_the_audit_order(good: dict, world: World,
                                                                                 standard) -> None:
    # Given a revocation signed after every entry's time, but recorded before carol's ADD of bob.
    revocation = revoke(world, "bob", T0 + 60 * MINUTE)
    bundle = copy.deepcopy(good)
    bundle["roster"].append(b64url_encode(revocation.raw))
    records = records_of(bundle)
    add = next(i for i, r in enumerate(records) if r.action == Action.MEMBER_ADDED)
    bundle = rewrite_log(bundle, [*records[:add], roster_record(revocation), *records[add:]])
    report = run(bundle)
    assert report.failed == ["revoked_members"] and "granting" in failures(report, "revoked_members")[0]


def test_a_write_by_a_revoked_member_never_removed_fails_the_revocation_check(world: World) -> None:
    # Given bob, added and then revoked, who writes on, and no coordinator removes him.
    case = standard_case(world)
    case.add("carol", "bob")
    revocation = revoke(world, "bob", case.clock + MINUTE // 2)
    case.write("bob", body("note", text="still writing"), "bob after his revocation")
    bundle = make_bundle(world, {case.case_id: case.envelopes})
    assert run(bundle).ok
    bundle["roster"].append(b64url_encode(revocation.raw))
    report = run(bundle)
    assert report.failed == ["revoked_members"] and "written by a person revoked" in failures(
        report, "revoked_members")[0]
    assert report.checks["revoked_members"].checked == len(case.envelopes)


def test_entries_before_the_revocation_and_other_people_pass(good: dict, world: World) -> None:
    bundle = bundle_with_revocation(world, good, revoke(world, "bob", T0 + 60 * MINUTE))
    report = run(bundle)
    assert report.ok and report.checks["revoked_members"].checked == report.facts["entries"]


# Coverage, as 14.2 words it ----------------------------------------------------------------------------

def test_each_entry_record_is_counted_and_must_match_its_entry(good: dict) -> None:
    report = run(good)
    assert report.checks["audit_coverage"].checked == 2 * report.facts["entries"]
    records = records_of(good)
    for change in (lambda r: AuditRecord(r.seq, r.time, Action.ENTRY_RESEALED, r.actor, r.subject, r.digest, r.prev_hash),
                   lambda r: AuditRecord(r.seq, r.time, r.action, bytes(16), r.subject, r.digest, r.prev_hash)):
        bundle = rewrite_log(copy.deepcopy(good), [*records[:2], change(records[2]), *records[3:]])
        assert run(bundle).failed == ["audit_coverage"]
    doubled = rewrite_log(copy.deepcopy(good), [*records, records[2]])
    report = run(doubled)
    assert report.failed == ["audit_coverage"] and "named twice" in failures(report, "audit_coverage")[0]


def test_a_head_signed_at_another_time_than_the_export_fails_the_head_check(good: dict) -> None:
    bundle = copy.deepcopy(good)
    bundle["created_at"] = T0 + 1
    assert run(bundle).failed == ["audit_head"]


# Continuity across bundles (--audit-key, --previous) ------------------------------------------------------

def drop_record_and_entry(bundle: dict) -> tuple[dict, list[AuditRecord]]:
    """A server removes the last note of the second case and its record, re-chains and re-signs."""
    forged = copy.deepcopy(bundle)
    dropped = parse_entry(envelopes_of(forged, 1)[-1])
    set_envelopes(forged, envelopes_of(forged, 1)[:-1], 1)
    return forged, [r for r in records_of(forged) if r.digest != dropped.hash]


def test_a_log_rewritten_under_the_same_key_fails_only_against_the_previous_bundle(good: dict) -> None:
    forged, records = drop_record_and_entry(good)
    forged = rewrite_log(forged, records)
    assert run(forged).ok
    report = verify.verify_bundle(json.dumps(forged).encode(), previous=json.dumps(good).encode())
    assert report.failed == ["continuity"] and "rewritten" in failures(report, "continuity")[0]


def test_a_log_rewritten_under_a_new_audit_key_fails_against_the_pinned_key(good: dict) -> None:
    forged, records = drop_record_and_entry(good)
    forged = rewrite_log(forged, records, Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33))))
    assert run(forged).ok
    pinned = verify.fingerprint(AUDIT_KEY.public_key().public_bytes_raw())
    for given in (pinned, pinned.upper(), good["audit_public_key"]):
        report = verify.verify_bundle(json.dumps(forged).encode(), audit_key=given)
        assert report.failed == ["continuity"] and "pinned" in failures(report, "continuity")[0]
    report = verify.verify_bundle(json.dumps(forged).encode(), previous=json.dumps(good).encode())
    assert report.failed == ["continuity"] and "audit key differs" in failures(report, "continuity")[0]
    assert verify.verify_bundle(json.dumps(good).encode(), audit_key=pinned).ok


def test_a_rolled_back_bundle_fails_against_the_later_one(good: dict, world: World) -> None:
    later = rewrite_log(copy.deepcopy(good), [*records_of(good), AuditRecord(1, T0, Action.LOGIN, *(bytes(16),) * 2,
                                                                           bytes(32), bytes(32))])
    assert verify.verify_bundle(json.dumps(later).encode(), previous=json.dumps(good).encode()).ok
    report = verify.verify_bundle(json.dumps(good).encode(), previous=json.dumps(later).encode())
    assert report.failed == ["continuity"] and "rolled back" in failures(report, "continuity")[0]


def test_an_unreadable_previous_bundle_or_pinned_key_fails_the_continuity_check(good: dict) -> None:
    # A previous bundle whose log no longer matches its own signed head proves nothing either.
    changed, unreadable = copy.deepcopy(good), copy.deepcopy(good)
    last = records_of(good)[-1]
    changed["audit_log"][-1] = b64url_encode(AuditRecord(last.seq, last.time + 1, last.action, last.actor,
                                                         last.subject, last.digest, last.prev_hash).to_bytes())
    unreadable["audit_log"][-1] = b64url_encode(b"not a record")
    cut = copy.deepcopy(good)
    cut["audit_log"].pop()
    for kwargs in ({"previous": b"{}"}, {"audit_key": "not a key"}, {"previous": json.dumps(changed).encode()},
                   {"previous": json.dumps(unreadable).encode()}, {"previous": json.dumps(cut).encode()}):
        report = verify.verify_bundle(json.dumps(good).encode(), **kwargs)
        assert report.failed == ["continuity"]


def test_the_command_takes_the_pinned_key_and_the_previous_bundle(good: dict, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    forged, records = drop_record_and_entry(good)
    forged = rewrite_log(forged, records)
    (tmp_path / "old.json").write_text(json.dumps(good))
    (tmp_path / "new.json").write_text(json.dumps(forged))
    pinned = verify.fingerprint(AUDIT_KEY.public_key().public_bytes_raw())
    assert verify.main([str(tmp_path / "old.json"), "--audit-key", pinned]) == 0
    assert "audit_key_fingerprint: " + pinned in capsys.readouterr().out
    assert verify.main([str(tmp_path / "new.json"), "--previous", str(tmp_path / "old.json")]) == 1
    assert "FAIL continuity" in capsys.readouterr().out
