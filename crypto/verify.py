"""Verify an audit bundle offline: ``python -m crypto.verify BUNDLE [--json] [--audit-key KEY] [--previous OLDER]``.

Written from docs/PROTOCOL.md (sections 6, 9, 13 and 14) for an outside auditor: it needs the
bundle and nothing else, no server, no key that opens content. Every check is named and counted,
and a failure says which item failed and why; the exit status is 0 only if every check holds.
With a pinned audit key or an earlier bundle it also proves the log was not rewritten since.
"""

import argparse
import hashlib
import json
import math
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from crypto.acceptance import Revocations, check_not_revoked, revocations_of
from crypto.audit import (
    ENTRY_ACTIONS,
    Action,
    AuditHead,
    AuditRecord,
    check_audit_chain,
    parse_audit_record,
    roster_records_missing,
    serials_contiguous,
    verify_audit_head,
)
from crypto.caselog import CaseLog
from crypto.control import AddMember, Genesis, RemoveMember, parse_control_payload
from crypto.encoding import b64url_decode, b64url_encode
from crypto.entry import CONTROL_KINDS, ZERO_HASH, Entry, Kind, parse_entry
from crypto.errors import CarnetCryptoError, RevokedUser
from crypto.keys import check_ed25519_public_key
from crypto.roster import Role, RosterEntry, verify_roster_entry

BUNDLE_FORMAT = "carnet-audit-bundle"
BUNDLE_KEYS = {"format", "version", "created_at", "app_version", "association_public_key", "audit_public_key",
               "database", "static_files", "roster", "cases", "audit_log", "audit_head"}
CASE_KEYS = {"case_id", "team_id", "entries"}
# The SQLCipher 4 settings the server states (PROTOCOL 14.2); the version must be 4.x.
EXPECTED_CIPHER = {"cipher_page_size": "4096", "kdf_iter": "256000", "cipher_hmac_algorithm": "HMAC_SHA512",
                   "cipher_kdf_algorithm": "PBKDF2_HMAC_SHA512"}
# Ciphertext of at least 284 bytes (the smallest sealed body) measures above 7 bits per byte;
# text, even base64, stays at or below 6. The threshold sits between.
MIN_ENTROPY_BITS = 6.5
CHECKS = ("bundle_format", "cipher_settings", "roster_signatures", "roster_completeness", "envelope_format",
          "entry_signatures", "device_sequences", "hash_links", "epoch_changes", "removed_members",
          "revoked_members", "case_logs", "ciphertext_entropy", "audit_chain", "audit_head", "audit_coverage",
          "continuity")
# JSON numbers every implementation holds exactly (PROTOCOL 5): times and counts stay within.
MAX_INTEGER = 2**53 - 1
# The kind of entry each entry action records (PROTOCOL 13.1).
ACTION_OF_KIND = {Kind.GENESIS: Action.CASE_OPENED, Kind.CONTENT: Action.ENTRY_STORED, Kind.ADD: Action.MEMBER_ADDED,
                  Kind.REMOVE: Action.MEMBER_REMOVED, Kind.ROTATE: Action.KEY_ROTATED,
                  Kind.RESEAL: Action.ENTRY_RESEALED}


class BundleError(ValueError):
    """The bundle is not a well-formed audit bundle of version 1."""


@dataclass
class Check:
    name: str
    checked: int = 0
    failures: list[str] = field(default_factory=list)

    def result(self, ok: bool, detail: str) -> bool:
        self.checked += 1
        if not ok:
            self.failures.append(detail)
        return ok


@dataclass
class Report:
    checks: dict[str, Check] = field(default_factory=lambda: {name: Check(name) for name in CHECKS})
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(not check.failures for check in self.checks.values())

    @property
    def failed(self) -> list[str]:
        return [name for name, check in self.checks.items() if check.failures]

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "facts": self.facts,
                "checks": [{"name": c.name, "checked": c.checked, "failed": len(c.failures), "failures": c.failures}
                           for c in self.checks.values()]}

    def to_text(self) -> str:
        lines = [f"{key}: {value}" for key, value in self.facts.items()]
        for check in self.checks.values():
            state = "FAIL" if check.failures else "ok  "
            lines.append(f"{state} {check.name:<20} {check.checked} checked, {len(check.failures)} failed")
            lines += [f"       - {failure}" for failure in check.failures]
        lines.append("RESULT: " + ("every check holds" if self.ok else "FAILED: " + ", ".join(self.failed)))
        return "\n".join(lines)


# Reading the bundle --------------------------------------------------------------------------------

def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise BundleError(message)


def _strings(value: Any, what: str) -> list[str]:
    _expect(isinstance(value, list) and all(isinstance(item, str) for item in value), f"{what}: a list of strings")
    return value


def _decode(text: Any, what: str) -> bytes:
    try:
        return b64url_decode(text)
    except CarnetCryptoError as exc:
        raise BundleError(f"{what}: not base64url") from exc


def _id(text: Any, what: str) -> bytes:
    value = _decode(text, what)
    _expect(len(value) == 16 and value != bytes(16), f"{what}: not a 16-byte id")
    return value


def fingerprint(public_key: bytes) -> str:
    """What an auditor pins of the server's audit key: SHA-256 of its 32 bytes, in hex."""
    return hashlib.sha256(public_key).hexdigest()


@dataclass
class Case:
    case_id: bytes
    team_id: bytes
    envelopes: list[bytes]
    entries: list[Entry | None] = field(default_factory=list)


@dataclass
class Bundle:
    created_at: int
    association: Ed25519PublicKey
    audit_key: bytes
    database: dict[str, str]
    roster: list[bytes]
    cases: list[Case]
    audit_log: list[bytes]
    audit_head: bytes


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two readers that keep different copies of one name would read two different bundles.
    _expect(len({name for name, _ in pairs}) == len(pairs), "a member name appears twice in one object")
    return dict(pairs)


def _no_constant(name: str) -> None:
    raise BundleError(f"{name} is not a JSON number")


def load_json(data: bytes) -> Any:
    """One UTF-8 JSON text without byte-order mark, duplicate names or non-numbers (PROTOCOL 14.1)."""
    _expect(not data.startswith(b"\xef\xbb\xbf"), "a byte-order mark: the file is UTF-8 without one")
    try:
        # Decoding first: json.loads on bytes would also take UTF-16 and UTF-32.
        return json.loads(data.decode("utf-8"), object_pairs_hook=_unique_members, parse_constant=_no_constant)
    except BundleError:
        raise
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError("not UTF-8 JSON") from exc


def _read_cases(cases: Any) -> list[Case]:
    _expect(isinstance(cases, list) and all(isinstance(c, dict) and set(c) == CASE_KEYS for c in cases),
            "cases: objects with case_id, team_id and entries")
    found = [Case(_id(c["case_id"], "case_id"), _id(c["team_id"], "team_id"),
                  [_decode(e, "entry") for e in _strings(c["entries"], "entries")]) for c in cases]
    _expect(len({case.case_id for case in found}) == len(found), "cases: a case is listed twice")
    return found


def read_bundle(data: bytes, facts: dict[str, Any]) -> Bundle:
    top = load_json(data)
    _expect(isinstance(top, dict) and set(top) == BUNDLE_KEYS, "the members are not exactly those of version 1")
    _expect(top["format"] == BUNDLE_FORMAT and type(top["version"]) is int and top["version"] == 1,
            "not a carnet-audit-bundle of version 1")
    _expect(type(top["created_at"]) is int and 0 < top["created_at"] <= MAX_INTEGER
            and isinstance(top["app_version"], str), "created_at or app_version")
    _expect(isinstance(top["database"], dict) and set(top["database"]) == {*EXPECTED_CIPHER, "cipher_version"}
            and all(isinstance(v, str) for v in top["database"].values()), "database: the cipher settings")
    files = top["static_files"]
    _expect(isinstance(files, dict) and all(isinstance(v, str) and len(v) == 64 and set(v) <= set("0123456789abcdef")
                                            for v in files.values()), "static_files: SHA-256 in hex")
    cases = _read_cases(top["cases"])
    audit_key = _decode(top["audit_public_key"], "audit key")
    try:
        association = check_ed25519_public_key(_decode(top["association_public_key"], "association key"))
        check_ed25519_public_key(audit_key)
    except CarnetCryptoError as exc:
        raise BundleError(f"a public key is not valid: {exc}") from exc
    roster = [_decode(r, "roster") for r in _strings(top["roster"], "roster")]
    audit_log = [_decode(r, "audit record") for r in _strings(top["audit_log"], "audit_log")]
    facts.update(app_version=top["app_version"], created_at=top["created_at"], static_files=len(files),
                 cases=len(cases), entries=sum(len(case.envelopes) for case in cases), roster_entries=len(roster),
                 audit_records=len(audit_log), audit_key_fingerprint=fingerprint(audit_key))
    return Bundle(top["created_at"], association, audit_key, top["database"], roster, cases, audit_log,
                  _decode(top["audit_head"], "audit head"))


# The checks -----------------------------------------------------------------------------------------

def check_cipher(report: Report, database: dict[str, str]) -> None:
    check = report.checks["cipher_settings"]
    for name, expected in EXPECTED_CIPHER.items():
        check.result(database[name] == expected, f"{name} is {database[name]!r}, expected {expected!r}")
    check.result(database["cipher_version"].startswith("4."), f"SQLCipher {database['cipher_version']} is not 4.x")


def check_roster(report: Report, bundle: Bundle) -> dict[bytes, list[RosterEntry]]:
    check = report.checks["roster_signatures"]
    roster: dict[bytes, list[RosterEntry]] = {}
    for index, raw in enumerate(bundle.roster):
        try:
            entry = verify_roster_entry(raw, bundle.association)
        except CarnetCryptoError as exc:
            check.result(False, f"roster entry {index}: {type(exc).__name__}")
            continue
        serials = [e.serial for e in roster.get(entry.user_id, [])]
        if check.result(entry.serial not in serials, f"roster entry {index}: a second entry for one serial"):
            roster.setdefault(entry.user_id, []).append(entry)
    return roster


def parse_cases(report: Report, bundle: Bundle) -> None:
    check = report.checks["envelope_format"]
    for case in bundle.cases:
        for index, raw in enumerate(case.envelopes):
            try:
                entry: Entry | None = parse_entry(raw)
            except CarnetCryptoError as exc:
                entry = None
                check.result(False, f"case {b64url_encode(case.case_id)} entry {index}: {type(exc).__name__}")
            else:
                if not check.result(entry.header.case_id == case.case_id,
                                    f"case {b64url_encode(case.case_id)} entry {index}: filed under another case"):
                    entry = None
            case.entries.append(entry)


def where(case: Case, index: int) -> str:
    return f"case {b64url_encode(case.case_id)} entry {index}"


def check_signatures(report: Report, case: Case, roster: dict[bytes, list[RosterEntry]]) -> None:
    check = report.checks["entry_signatures"]
    for index, entry in enumerate(case.entries):
        if entry is None:
            continue
        verified = False
        for candidate in roster.get(entry.header.author, []):
            try:
                entry.verify_signature(candidate.signing_key)
                verified = True
            except CarnetCryptoError:
                pass
        check.result(verified, f"{where(case, index)}: no roster key of its author verifies its signature")


def check_chains(report: Report, case: Case) -> None:
    """Per device: sequences 1, 2, 3... with no gap, each naming its predecessor's hash; and every
    entry names a control entry that comes before it."""
    sequences, links = report.checks["device_sequences"], report.checks["hash_links"]
    last: dict[bytes, Entry] = {}
    controls: set[bytes] = set()
    for index, entry in enumerate(case.entries):
        if entry is None:
            continue
        header = entry.header
        previous = last.get(header.device_id)
        expected = previous.header.device_seq + 1 if previous else 1
        sequences.result(header.device_seq == expected,
                         f"{where(case, index)}: device sequence {header.device_seq}, expected {expected}")
        links.result(header.prev_hash == (previous.hash if previous else ZERO_HASH)
                     and (header.kind == Kind.GENESIS or header.control_head in controls),
                     f"{where(case, index)}: its previous hash or control head names no earlier entry")
        last[header.device_id] = entry
        if header.kind in CONTROL_KINDS:
            controls.add(entry.hash)


def is_coordinator_of(roster: list[RosterEntry], team_id: bytes) -> bool:
    return any(e.role == Role.COORDINATOR and e.team_id == team_id and e.active for e in roster)


def check_control(report: Report, case: Case, roster: dict[bytes, list[RosterEntry]], key: Ed25519PublicKey) -> None:
    """Epoch changes and grants by a coordinator of the case's team; no wrap to a removed member."""
    changes, removals = report.checks["epoch_changes"], report.checks["removed_members"]
    team_id, epoch, removed = None, 0, set()
    for index, entry in enumerate(case.entries):
        if entry is None or entry.header.kind not in CONTROL_KINDS or entry.body is None:
            continue
        header = entry.header
        try:
            payload = parse_control_payload(header.kind, entry.body, key)
        except CarnetCryptoError as exc:
            changes.result(False, f"{where(case, index)}: payload {type(exc).__name__}")
            continue
        if isinstance(payload, Genesis):
            team_id, epoch = payload.team_id, 1
            continue
        expected = epoch + (0 if header.kind == Kind.ADD else 1)
        changes.result(header.epoch == expected and is_coordinator_of(roster.get(header.author, []), team_id or b""),
                       f"{where(case, index)}: not an epoch change by a coordinator of the case's team")
        epoch = header.epoch
        if isinstance(payload, AddMember):
            removed.discard(payload.grant.roster.user_id)
            continue
        if isinstance(payload, RemoveMember):
            removed.add(payload.user_id)
        wrapped_to = {w.recipient for w in payload.rotation.wraps}
        removals.result(not wrapped_to & removed, f"{where(case, index)}: a key is wrapped to a removed member")


@dataclass
class AuditIndex:
    """Where the audit log places each stored entry and each roster entry (by record seq)."""

    entries: dict[tuple[bytes, bytes], int] = field(default_factory=dict)
    roster: dict[bytes, int] = field(default_factory=dict)

    @classmethod
    def of(cls, records: list[AuditRecord]) -> "AuditIndex":
        index = cls()
        for record in records:
            if record.action in ENTRY_ACTIONS:
                index.entries.setdefault((record.subject, record.digest), record.seq)
            elif record.action == Action.ROSTER_ENTRY:
                index.roster.setdefault(record.digest, record.seq)
        return index

    def stored_after(self, case_id: bytes, entry_hash: bytes, revocation: RosterEntry) -> bool:
        """The log records this entry after it recorded the revocation: the server held both."""
        stored = self.entries.get((case_id, entry_hash))
        revoked = self.roster.get(hashlib.sha256(revocation.raw).digest())
        return stored is not None and revoked is not None and stored > revoked


def check_revoked(report: Report, log: CaseLog, raw: bytes, revocations: Revocations, index: AuditIndex,
                  where_: str) -> None:
    """One entry before section 9 takes it: no grant to, or write by, a person revoked before (9.2)."""
    try:
        entry_hash = parse_entry(raw).hash
        check_not_revoked(log, raw, revocations,
                          known=lambda revocation: index.stored_after(log.case_id, entry_hash, revocation))
    except RevokedUser as exc:
        report.checks["revoked_members"].result(False, f"{where_}: {exc}")
    except CarnetCryptoError:
        return  # Not an entry at all: envelope_format and case_logs report it.
    else:
        report.checks["revoked_members"].result(True, "")


def check_case_log(report: Report, case: Case, key: Ed25519PublicKey, revocations: Revocations,
                   index: AuditIndex) -> None:
    """Section 9, steps 1-12, entry by entry, with 9.2 before each; the listed team is the GENESIS's."""
    log = CaseLog(case.case_id, key)
    try:
        for position, raw in enumerate(case.envelopes):
            check_revoked(report, log, raw, revocations, index, where(case, position))
            log.append(raw)
        log.check_complete()
    except CarnetCryptoError as exc:
        report.checks["case_logs"].result(False, f"case {b64url_encode(case.case_id)}: {type(exc).__name__}: {exc}")
        return
    report.checks["case_logs"].result(log.state.team_id == case.team_id,
                                      f"case {b64url_encode(case.case_id)}: listed under another team than its GENESIS")


def entropy(data: bytes) -> float:
    counts = Counter(data)
    return -sum(n / len(data) * math.log2(n / len(data)) for n in counts.values())


def check_entropy(report: Report, case: Case) -> None:
    check = report.checks["ciphertext_entropy"]
    for index, entry in enumerate(case.entries):
        if entry is None or entry.body is None or entry.header.kind in CONTROL_KINDS:
            continue
        bits = entropy(entry.body)
        check.result(bits >= MIN_ENTROPY_BITS, f"{where(case, index)}: {bits:.2f} bits per byte, not ciphertext")


def read_records(report: Report, bundle: Bundle) -> list[AuditRecord]:
    chain = report.checks["audit_chain"]
    records: list[AuditRecord] = []
    for index, raw in enumerate(bundle.audit_log):
        try:
            record = parse_audit_record(raw)
        except CarnetCryptoError as exc:
            chain.result(False, f"audit record {index}: {type(exc).__name__}: {exc}")
            continue
        try:
            check_audit_chain([record], after=records[-1] if records else None)
            chain.result(True, "")
        except CarnetCryptoError as exc:
            chain.result(False, f"audit record {index}: {exc}")
        # The chain goes on from each readable record, so one removal is one failure, not all after it.
        records.append(record)
    return records


def check_head(report: Report, bundle: Bundle, records: list[AuditRecord]) -> AuditHead | None:
    check = report.checks["audit_head"]
    try:
        head = verify_audit_head(bundle.audit_head, Ed25519PublicKey.from_public_bytes(bundle.audit_key))
    except CarnetCryptoError as exc:
        check.result(False, f"audit head: {type(exc).__name__}")
        return None
    last = records[-1].hash if records else ZERO_HASH
    report.facts.update(audit_head_count=head.count, audit_head_hash=b64url_encode(head.last_hash))
    check.result(head.count == len(bundle.audit_log) and head.last_hash == last and head.time == bundle.created_at,
                 f"the signed head names {head.count} records at {head.time}; the log holds {len(bundle.audit_log)},"
                 f" ends elsewhere or was exported at {bundle.created_at}")
    return head


def check_coverage(report: Report, bundle: Bundle, records: list[AuditRecord]) -> None:
    """Each entry has its record; each entry record names, once, an entry of its kind and author."""
    check = report.checks["audit_coverage"]
    held = {(case.case_id, e.hash): e for case in bundle.cases for e in case.entries if e is not None}
    recorded: set[tuple[bytes, bytes]] = set()
    for record in (r for r in records if r.action in ENTRY_ACTIONS):
        named = (record.subject, record.digest)
        entry = held.get(named)
        check.result(entry is not None and named not in recorded and ACTION_OF_KIND[entry.header.kind] == record.action
                     and entry.header.author == record.actor,
                     f"audit record {record.seq} names entry {b64url_encode(record.digest)} of case"
                     f" {b64url_encode(record.subject)}: missing from the bundle, named twice, or of another kind"
                     " or author")
        recorded.add(named)
    for case_id, entry_hash in sorted(held):
        check.result((case_id, entry_hash) in recorded,
                     f"entry {b64url_encode(entry_hash)} of case {b64url_encode(case_id)} has no audit record")


def check_roster_complete(report: Report, bundle: Bundle, records: list[AuditRecord],
                          roster: dict[bytes, list[RosterEntry]]) -> None:
    """Every roster entry the log records is in the bundle, and each person's serials run 1..n."""
    check = report.checks["roster_completeness"]
    missing = {r.seq for r in roster_records_missing(records, bundle.roster)}
    for record in (r for r in records if r.action == Action.ROSTER_ENTRY):
        check.result(record.seq not in missing, f"audit record {record.seq}: a roster entry of"
                                                f" {b64url_encode(record.subject)} missing from the bundle")
    for user_id, entries in sorted(roster.items()):
        serials = sorted(e.serial for e in entries)
        check.result(serials_contiguous(serials),
                     f"roster of {b64url_encode(user_id)}: serials {serials}, not 1 to {len(serials)}")


# Continuity across bundles (PROTOCOL 14.4) ------------------------------------------------------------

def pinned_key_bytes(text: str) -> bytes:
    """An audit key as given on the command line: its fingerprint (hex) or the key (base64url)."""
    cleaned = text.replace(":", "").replace(" ", "").lower()
    if len(cleaned) == 64 and set(cleaned) <= set("0123456789abcdef"):
        return bytes.fromhex(cleaned)
    return hashlib.sha256(_decode(text, "--audit-key")).digest()


def check_pinned_key(report: Report, bundle: Bundle, pinned: str) -> None:
    try:
        expected = pinned_key_bytes(pinned)
    except BundleError as exc:
        report.checks["continuity"].result(False, f"the pinned audit key: {exc}")
        return
    report.checks["continuity"].result(hashlib.sha256(bundle.audit_key).digest() == expected,
                                       "the bundle's audit key is not the pinned one")


def check_previous(report: Report, bundle: Bundle, older: bytes) -> None:
    """The older bundle's key is this one's, and its signed log is a prefix of this log."""
    check = report.checks["continuity"]
    try:
        previous = read_bundle(older, {})
        head = verify_audit_head(previous.audit_head, Ed25519PublicKey.from_public_bytes(previous.audit_key))
    except (BundleError, CarnetCryptoError) as exc:
        check.result(False, f"the previous bundle does not read: {exc}")
        return
    check.result(previous.audit_key == bundle.audit_key, "the audit key differs from the previous bundle's")
    kept = previous.audit_log[:head.count]
    check.result(signed_prefix(kept, head) and bundle.audit_log[:head.count] == kept,
                 f"the log does not extend the previous bundle's {head.count} signed records:"
                 " rolled back or rewritten")


def signed_prefix(records: list[bytes], head: AuditHead) -> bool:
    """The records are as many as the head counts, the last one hashing to the head's hash."""
    if len(records) != head.count:
        return False
    try:
        return head.count == 0 or parse_audit_record(records[-1]).hash == head.last_hash
    except CarnetCryptoError:
        return False


def verify_bundle(data: bytes, *, audit_key: str | None = None, previous: bytes | None = None) -> Report:
    report = Report()
    try:
        bundle = read_bundle(data, report.facts)
    except BundleError as exc:
        report.checks["bundle_format"].result(False, str(exc))
        return report
    report.checks["bundle_format"].result(True, "")
    check_cipher(report, bundle.database)
    roster = check_roster(report, bundle)
    records = read_records(report, bundle)
    check_roster_complete(report, bundle, records, roster)
    parse_cases(report, bundle)
    revocations, index = revocations_of(e for entries in roster.values() for e in entries), AuditIndex.of(records)
    steps: list[Callable[[Case], None]] = [
        lambda case: check_signatures(report, case, roster), lambda case: check_chains(report, case),
        lambda case: check_control(report, case, roster, bundle.association),
        lambda case: check_case_log(report, case, bundle.association, revocations, index),
        lambda case: check_entropy(report, case)]
    for case in bundle.cases:
        for step in steps:
            step(case)
    check_head(report, bundle, records)
    check_coverage(report, bundle, records)
    if audit_key is not None:
        check_pinned_key(report, bundle, audit_key)
    if previous is not None:
        check_previous(report, bundle, previous)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crypto.verify", description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--audit-key", help="the audit key pinned at the first export: its fingerprint (hex)"
                                            " as the export printed it, or the key (base64url)")
    parser.add_argument("--previous", type=Path, help="an earlier bundle of the same server, whose log this one"
                                                      " must extend")
    args = parser.parse_args(argv)
    report = verify_bundle(args.bundle.read_bytes(), audit_key=args.audit_key,
                           previous=args.previous.read_bytes() if args.previous else None)
    print(json.dumps(report.to_json(), indent=1) if args.json else report.to_text())
    return 0 if report.ok else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
