"""Section 6: key rotation of a case with many entries and members, with the Python reference."""

import json
import os
import time
from dataclasses import dataclass

from bench.figures import Results
from bench.workload import NOTES
from crypto.caselog import CaseLog
from crypto.keys import AccountKeys, AssociationKey, generate_account_keys, generate_association_key
from crypto.roster import Role, RosterEntry, sign_roster_entry_as_admin
from crypto.writer import (create_case_as_member, reencrypt_case_as_coordinator, rotate_case_key_as_coordinator,
                           seal_entry_as_author)

ROTATION = "6. Key rotation"


@dataclass
class Member:
    keys: AccountKeys
    roster: RosterEntry


def team(association: AssociationKey, size: int) -> list[Member]:
    """One coordinator first, then volunteers, all in one team, signed into the roster."""
    team_id = os.urandom(16)
    members = []
    for index in range(size):
        keys = generate_account_keys(os.urandom(16))
        entry = sign_roster_entry_as_admin(association, user_id=keys.user_id, serial=1,
                                           role=Role.COORDINATOR if index == 0 else Role.VOLUNTEER, team_id=team_id,
                                           encryption_public=keys.encryption_public,
                                           signing_public=keys.signing_public)
        members.append(Member(keys, entry))
    return members


def build_case(association: AssociationKey, members: list[Member], entries: int) -> tuple[CaseLog, bytes, float]:
    """A case of ``entries`` content entries; returns its log, its key and seconds per sealed entry."""
    author, device = members[1], os.urandom(16)
    case = create_case_as_member(author.keys, association_key=association.public_key, team_id=author.roster.team_id,
                                 device_id=device, members=[m.roster for m in members])
    body = json.dumps({"type": "edit", "fields": {"notes": NOTES}}).encode()
    start = time.perf_counter()
    for _ in range(entries):
        seal_entry_as_author(case.log, author.keys, device_id=device, case_key=case.case_key, body_json=body)
    return case.log, case.case_key, (time.perf_counter() - start) / entries


def rotate_once(entries: int, members: int) -> dict[str, float]:
    association = generate_association_key()
    people = team(association, members)
    log, key, seal_seconds = build_case(association, people, entries)
    coordinator, device = people[0], os.urandom(16)
    start = time.perf_counter()
    envelope, new_key = rotate_case_key_as_coordinator(log, coordinator.keys, device_id=device, case_key=key)
    lazy_seconds = time.perf_counter() - start
    start = time.perf_counter()
    resealed, _ = reencrypt_case_as_coordinator(log, coordinator.keys, device_id=device,
                                                case_keys={1: key, 2: new_key})
    full_seconds = time.perf_counter() - start
    return {"lazy_ms": lazy_seconds * 1000, "lazy_bytes": len(envelope), "seal_ms": seal_seconds * 1000,
            "full_s": full_seconds, "full_bytes": sum(len(e) for e in resealed)}


def run_rotation(results: Results, *, entries: list[int], members: int, runs: int) -> None:
    measured = {count: [rotate_once(count, members) for _ in range(runs)] for count in entries}
    small, large = min(entries), max(entries)
    for count in (small, large):
        found = measured[count]
        label = f"case of {count:,} entries, {members} members"
        results.add(ROTATION, f"lazy rotation, {label}", "ms", [r["lazy_ms"] for r in found])
        results.add(ROTATION, f"lazy rotation, {label}", "bytes", [r["lazy_bytes"] for r in found])
        results.add(ROTATION, f"lazy rotation / sealing one entry, {label}", "ratio",
                    [r["lazy_ms"] / r["seal_ms"] for r in found])
    results.add(ROTATION, f"lazy rotation time at {large:,} entries / at {small:,}", "ratio",
                [b["lazy_ms"] / a["lazy_ms"] for a, b in zip(measured[small], measured[large])],
                goal="flat (about 1)")
    results.add(ROTATION, f"lazy rotation bytes at {large:,} entries / at {small:,}", "ratio",
                [b["lazy_bytes"] / a["lazy_bytes"] for a, b in zip(measured[small], measured[large])],
                goal="flat (1)", at_most=1.0)
    found = measured[large]
    results.add(ROTATION, f"full re-encryption, case of {large:,} entries", "s", [r["full_s"] for r in found])
    results.add(ROTATION, f"full re-encryption, case of {large:,} entries", "bytes", [r["full_bytes"] for r in found])
    results.add(ROTATION, "full re-encryption / sealing as many entries", "ratio",
                [r["full_s"] * 1000 / (r["seal_ms"] * large) for r in found])
