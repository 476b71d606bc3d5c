"""The audit bundle end to end: a demo with two teams, rotations and removals, pushed through the
sync API, exported by `flask audit export`, verified offline; then each tampering of the bundle
fails the verifier and names its check."""

import copy
import json
import secrets
from pathlib import Path

import pytest
from flask import Flask

from crypto import verify
from crypto.casekeys import wrap_case_key_for_member
from crypto.control import RotateKey, Rotation, RotationMode
from crypto.encoding import b64url_decode, b64url_encode
from crypto.entry import EntryHeader, Kind, make_entry_as_author, parse_entry

from webapp import create_app
from webapp.config import Config
from webapp.database import initialise_database

from tests.audit_demo import Demo, build_demo

pytestmark = pytest.mark.slow


def export(app: Flask, path: Path) -> dict:
    result = app.test_cli_runner().invoke(args=["audit", "export", str(path)])
    assert result.exit_code == 0, result.output
    bundle = json.loads(path.read_text())
    assert f"Audit key fingerprint: {verify.fingerprint(b64url_decode(bundle['audit_public_key']))}" in result.output
    return bundle


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Demo, dict, dict]:
    """The demo's bundle, and an earlier one whose head is older."""
    folder = tmp_path_factory.mktemp("bundle")
    config = Config(instance_path=folder, database_key=secrets.token_bytes(32), secret_key=secrets.token_bytes(32),
                    testing=True, audit_key=secrets.token_bytes(32))
    initialise_database(config)
    app = create_app(config)
    demo = build_demo(app)
    earlier = export(app, folder / "earlier.json")
    demo.write(*demo.logs[0], "vol-p2", "one more note after the first export")
    return demo, earlier, export(app, folder / "bundle.json")


def run(bundle: dict) -> verify.Report:
    return verify.verify_bundle(json.dumps(bundle).encode())


def busiest_case(bundle: dict) -> dict:
    return max(bundle["cases"], key=lambda case: len(case["entries"]))


def test_the_demo_bundle_verifies_with_every_check_counted(exported) -> None:
    _demo, _earlier, bundle = exported
    report = run(bundle)
    assert report.ok, report.to_text()
    counts = {c["name"]: c["checked"] for c in report.to_json()["checks"]}
    assert len(bundle["cases"]) == 4 and counts["case_logs"] == 4
    assert counts["epoch_changes"] == 6 and counts["removed_members"] == 4
    assert counts["ciphertext_entropy"] >= 10 and counts["audit_coverage"] == 2 * report.facts["entries"]
    assert bundle["database"]["cipher_page_size"] == "4096" and bundle["static_files"]
    assert report.facts["app_version"] == bundle["app_version"]


def test_a_changed_envelope_byte_fails_the_signature_check(exported) -> None:
    bundle = copy.deepcopy(exported[2])
    case = busiest_case(bundle)
    raw = bytearray(b64url_decode(case["entries"][1]))
    raw[200] ^= 0x01  # inside the ciphertext of the first note
    case["entries"][1] = b64url_encode(bytes(raw))
    assert "entry_signatures" in run(bundle).failed


def test_a_changed_signature_fails_the_signature_check(exported) -> None:
    bundle = copy.deepcopy(exported[2])
    case = busiest_case(bundle)
    raw = bytearray(b64url_decode(case["entries"][-1]))
    raw[-1] ^= 0x80
    case["entries"][-1] = b64url_encode(bytes(raw))
    assert "entry_signatures" in run(bundle).failed


def test_a_removed_audit_log_line_fails_the_audit_chain_check(exported) -> None:
    bundle = copy.deepcopy(exported[2])
    del bundle["audit_log"][len(bundle["audit_log"]) // 2]
    assert "audit_chain" in run(bundle).failed


def test_a_reordered_entry_fails_the_device_sequence_check(exported) -> None:
    bundle = copy.deepcopy(exported[2])
    case = busiest_case(bundle)
    entries = [parse_entry(b64url_decode(e)) for e in case["entries"]]
    device = entries[1].header.device_id
    first, second = [i for i, e in enumerate(entries) if e.header.device_id == device][:2]
    case["entries"][first], case["entries"][second] = case["entries"][second], case["entries"][first]
    assert "device_sequences" in run(bundle).failed


def test_an_extra_key_wrap_to_a_removed_member_fails_the_removal_check(exported) -> None:
    demo, bundle = exported[0], copy.deepcopy(exported[2])
    log, keys = demo.logs[1]
    coordinator, removed = demo.members["coord-v"], demo.members["vol-v1"]
    state = log.state
    recipients = sorted([*state.members.values(), removed.roster], key=lambda r: r.user_id)
    wraps = tuple(wrap_case_key_for_member(keys[state.epoch], case_id=log.case_id, epoch=state.epoch + 1, recipient=r)
                  for r in recipients)
    payload = RotateKey(Rotation(RotationMode.FULL, bytes(32), wraps, None)).to_bytes()
    seq, prev = log.device_position(coordinator.device)
    header = EntryHeader(kind=Kind.ROTATE, case_id=log.case_id, entry_id=b"\x05" * 16, epoch=state.epoch + 1,
                         author=coordinator.keys.user_id, device_id=coordinator.device, device_seq=seq + 1,
                         prev_hash=prev, control_head=state.entry_hash, lamport=log.max_lamport + 1, time=1)
    forged = make_entry_as_author(header, payload, coordinator.keys).to_bytes()
    case = next(c for c in bundle["cases"] if c["case_id"] == b64url_encode(log.case_id))
    case["entries"].append(b64url_encode(forged))
    assert "removed_members" in run(bundle).failed


def test_a_rolled_back_head_fails_the_audit_head_check(exported) -> None:
    earlier, bundle = exported[1], copy.deepcopy(exported[2])
    bundle["audit_head"] = earlier["audit_head"]
    assert "audit_head" in run(bundle).failed


def test_the_bundle_extends_the_earlier_export_under_the_printed_key_and_not_the_other_way(exported) -> None:
    # Given the fingerprint the first export printed, and the earlier bundle kept by the auditor.
    _demo, earlier, bundle = exported
    pinned = verify.fingerprint(b64url_decode(earlier["audit_public_key"]))
    later = verify.verify_bundle(json.dumps(bundle).encode(), audit_key=pinned, previous=json.dumps(earlier).encode())
    assert later.ok and later.checks["continuity"].checked == 3
    # A server that serves the earlier bundle again after the later one has rolled its log back.
    rolled = verify.verify_bundle(json.dumps(earlier).encode(), previous=json.dumps(bundle).encode())
    assert rolled.failed == ["continuity"]
