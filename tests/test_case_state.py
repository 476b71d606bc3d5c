"""The server's frontier of each case (PROTOCOL 9.3): a push resumes from it instead of replaying
the case, it lives in the database beside the entries, and it never drifts from them."""

import json
import os

import pytest
from flask import Flask

from crypto.caselog import CaseLog, Frontier
from crypto.encoding import b64url_encode
from crypto.entry import parse_entry
from crypto.writer import reseal_entry_as_coordinator, rotate_case_key_as_coordinator, seal_entry_as_author
from sync import cases
from sync.db import transaction
from webapp import create_app
from webapp.database import get_db

from tests.helpers import Person, logged_in
from tests.test_keys_api import ASSOCIATION
from tests.test_sync import Member, new_case, push, stored_count, world  # noqa: F401 - world is a fixture


def stored(app: Flask, case_id: bytes) -> tuple[list[bytes], Frontier | None, int | None]:
    """The case's envelopes, its stored frontier and the entry count that frontier claims."""
    with app.app_context():
        conn = get_db()
        envelopes = [bytes(r["envelope"]) for r in conn.execute(
            "SELECT envelope FROM entries WHERE case_id = ? ORDER BY seq", (b64url_encode(case_id),))]
        row = conn.execute("SELECT entry_count, frontier FROM case_state WHERE case_id = ?",
                           (b64url_encode(case_id),)).fetchone()
    if row is None:
        return envelopes, None, None
    return envelopes, Frontier.from_bytes(bytes(row["frontier"])), row["entry_count"]


def assert_state_matches_entries(app: Flask, case_id: bytes) -> None:
    envelopes, frontier, count = stored(app, case_id)
    assert frontier == replay(envelopes).frontier() and count == len(envelopes)


def no_replay(*_args: object) -> CaseLog:
    raise AssertionError("the case was replayed from its entries")


def statuses(response: object) -> list[str]:
    return [r["status"] for r in response.get_json()["results"]]  # type: ignore[attr-defined]


def test_a_push_resumes_from_the_stored_frontier_and_never_replays_the_case(
        app: Flask, world: dict[str, Member], monkeypatch: pytest.MonkeyPatch) -> None:
    case, envelopes = new_case(world)
    assert statuses(push(world["volunteer"].api, envelopes)) == ["stored", "stored"]
    assert_state_matches_entries(app, case.case_id)
    monkeypatch.setattr(cases, "load_log", no_replay)
    volunteer = world["volunteer"]
    more = [seal_entry_as_author(case.log, volunteer.keys, device_id=volunteer.device, case_key=case.case_key,
                                 body_json=json.dumps({"n": n}).encode()) for n in range(3)]
    assert statuses(push(volunteer.api, more)) == ["stored"] * 3
    assert_state_matches_entries(app, case.case_id)
    # What the resumed log refuses is what the whole log refuses: the same entry again is a
    # duplicate by id, and a fork of the device's chain is refused by the protocol's rule.
    fork = seal_entry_as_author(replay(envelopes), volunteer.keys, device_id=volunteer.device,
                                case_key=case.case_key, body_json=b"{}")
    result = push(volunteer.api, [fork]).get_json()["results"][0]
    assert (result["status"], result["code"]) == ("rejected", "ForkDetected")


def replay(envelopes: list[bytes]) -> CaseLog:
    """A client's own view of the case as these envelopes leave it."""
    log = CaseLog(parse_entry(envelopes[0]).header.case_id, ASSOCIATION.public_key)
    for envelope in envelopes:
        log.append(envelope)
    return log


def test_a_restarted_server_resumes_from_the_frontier_in_its_database(
        app: Flask, config: object, world: dict[str, Member], people: dict[str, Person],
        monkeypatch: pytest.MonkeyPatch) -> None:
    case, envelopes = new_case(world)
    push(world["volunteer"].api, envelopes)
    restarted = create_app(config)  # type: ignore[arg-type]
    monkeypatch.setattr(cases, "load_log", no_replay)
    api = logged_in(restarted, people["volunteer"])
    volunteer = world["volunteer"]
    entry = seal_entry_as_author(case.log, volunteer.keys, device_id=volunteer.device, case_key=case.case_key,
                                 body_json=b'{"after": "restart"}')
    assert statuses(push(api, [entry])) == ["stored"]
    assert_state_matches_entries(restarted, case.case_id)


def test_a_push_that_fails_part_way_leaves_the_frontier_with_its_entries(
        app: Flask, world: dict[str, Member], monkeypatch: pytest.MonkeyPatch) -> None:
    case, envelopes = new_case(world)
    push(world["volunteer"].api, envelopes)
    volunteer = world["volunteer"]
    batch = [seal_entry_as_author(case.log, volunteer.keys, device_id=volunteer.device, case_key=case.case_key,
                                  body_json=json.dumps({"n": n}).encode()) for n in range(2)]
    record, calls = cases.audit.record, []

    def fail_on_the_second(*args: object, **kwargs: object) -> None:
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("the disk filled up")
        record(*args, **kwargs)

    monkeypatch.setattr(cases.audit, "record", fail_on_the_second)
    assert push(volunteer.api, batch).status_code == 500
    monkeypatch.setattr(cases.audit, "record", record)
    assert stored_count(app) == 2
    assert_state_matches_entries(app, case.case_id)
    # The client's retry stores the batch whole, and the frontier follows.
    assert statuses(push(volunteer.api, batch)) == ["stored", "stored"]
    assert_state_matches_entries(app, case.case_id)


@pytest.mark.parametrize("drift", ["DELETE FROM case_state",
                                   "UPDATE case_state SET entry_count = entry_count - 1"])
def test_a_case_without_a_frontier_that_covers_its_entries_is_replayed_once(
        app: Flask, world: dict[str, Member], drift: str) -> None:
    # Entries copied in without their frontier (an older database, a hand-made transfer).
    case, envelopes = new_case(world)
    push(world["volunteer"].api, envelopes)
    with app.app_context():
        with transaction(get_db()) as conn:
            conn.execute(drift)
    volunteer = world["volunteer"]
    entry = seal_entry_as_author(case.log, volunteer.keys, device_id=volunteer.device, case_key=case.case_key,
                                 body_json=b"{}")
    assert statuses(push(volunteer.api, [entry])) == ["stored"]
    assert_state_matches_entries(app, case.case_id)


def test_a_second_reseal_of_one_entry_is_refused_in_a_later_push(app: Flask, world: dict[str, Member]) -> None:
    case, envelopes = new_case(world)
    push(world["volunteer"].api, envelopes)
    coordinator = world["coordinator"]
    rotation, key = rotate_case_key_as_coordinator(case.log, coordinator.keys, device_id=coordinator.device,
                                                   case_key=case.case_key, full=True)
    before_reseal = replay([*envelopes, rotation])
    content_hash = case.log.entries[1].hash
    first = reseal_entry_as_coordinator(case.log, coordinator.keys, device_id=coordinator.device, case_key=key,
                                        content_hash=content_hash, body_json=b'{"notes": "first notes"}')
    assert statuses(push(coordinator.api, [rotation, first])) == ["stored", "stored"]
    # The same entry resealed again for the same re-encryption, from another device of the
    # coordinator that had not seen the first reseal.
    second = reseal_entry_as_coordinator(before_reseal, coordinator.keys, device_id=os.urandom(16), case_key=key,
                                         content_hash=content_hash, body_json=b'{"notes": "first notes"}')
    result = push(coordinator.api, [second]).get_json()["results"][0]
    assert (result["status"], result["code"]) == ("rejected", "ReplayedEntry")
    assert_state_matches_entries(app, case.case_id)
