"""The acceptance rule at the server, through the real API (docs/PROTOCOL.md 9.1; issue 12).

A member who pushes a lone stub, a Lamport clock past the bound or a time past the clock window
is refused with a typed reason; at the bound itself the entry is stored. Either way every member
still appends afterwards and the coordinator can still remove the pusher.
"""

import json
import os

from flask import Flask

from crypto.caselog import MAX_LAMPORT_STEP, CaseLog, verify_case_log
from crypto.encoding import b64url_decode, b64url_encode
from crypto.entry import Kind, parse_entry
from crypto.writer import remove_member_as_coordinator, seal_entry_as_author
from webapp.database import get_db

from tests.conftest import Clock
from tests.crypto.scenario import Person as Writer
from tests.crypto.scenario import craft
from tests.helpers import Person, logged_in
from tests.test_keys_api import ASSOCIATION
from tests.test_sync import Member, new_case, pulled, push, world

__all__ = ["world"]

DAY_MS = 86_400_000


def results(member: Member, envelopes: list[bytes]) -> list[tuple[str, str | None]]:
    return [(r["status"], r.get("code")) for r in push(member.api, envelopes).get_json()["results"]]


def stored_log(world: dict[str, Member], case_id: bytes) -> CaseLog:
    envelopes = [e for e in pulled(world["coordinator"].api) if parse_entry(e).header.case_id == case_id]
    return verify_case_log(case_id, envelopes, ASSOCIATION.public_key)


def hostile(world: dict[str, Member], case, **overrides: object) -> bytes:
    """The volunteer, a member, crafts a content entry on the stored log from a device of its own."""
    volunteer = world["volunteer"]
    who = Writer("volunteer", volunteer.keys, volunteer.entry, os.urandom(16))
    return craft(stored_log(world, case.case_id), who, Kind.CONTENT, case_key=case.case_key,
                 body_json=json.dumps({"notes": "hostile"}).encode(), **overrides)


def everyone_still_appends_and_the_pusher_can_be_removed(world: dict[str, Member], case) -> None:
    for name in ("volunteer", "coordinator"):
        log = stored_log(world, case.case_id)
        entry = seal_entry_as_author(log, world[name].keys, device_id=world[name].device, case_key=case.case_key,
                                     body_json=json.dumps({"notes": f"{name} goes on"}).encode())
        assert results(world[name], [entry]) == [("stored", None)]
    coordinator = world["coordinator"]
    removal, _key = remove_member_as_coordinator(stored_log(world, case.case_id), coordinator.keys,
                                                 device_id=coordinator.device, user_id=world["volunteer"].keys.user_id,
                                                 case_key=case.case_key)
    assert results(coordinator, [removal]) == [("stored", None)]


def test_a_lone_stub_is_refused_and_the_whole_entry_is_then_stored(app: Flask, world: dict[str, Member],
                                                                  clock: Clock) -> None:
    case, envelopes = new_case(world)
    assert results(world["volunteer"], envelopes) == [("stored", None)] * 2
    whole = hostile(world, case, time=int(clock()) * 1000)
    stub = parse_entry(whole).stub().to_bytes()
    assert results(world["volunteer"], [stub]) == [("rejected", "IncompleteLog")]
    # Nothing of the stub was kept: its entry id is free, and the real entry is stored under it.
    assert results(world["volunteer"], [whole]) == [("stored", None)]
    assert pulled(world["coordinator"].api)[-1] == whole
    everyone_still_appends_and_the_pusher_can_be_removed(world, case)


def test_a_lamport_clock_at_the_bound_is_stored_and_one_past_it_refused(app: Flask, world: dict[str, Member]) -> None:
    case, envelopes = new_case(world)
    assert results(world["volunteer"], envelopes) == [("stored", None)] * 2
    top = stored_log(world, case.case_id).max_lamport
    past = hostile(world, case, lamport=top + MAX_LAMPORT_STEP + 1)
    assert results(world["volunteer"], [past]) == [("rejected", "CounterOutOfRange")]
    everyone_still_appends_and_the_pusher_can_be_removed(world, case)

    case, envelopes = new_case(world)
    assert results(world["volunteer"], envelopes) == [("stored", None)] * 2
    top = stored_log(world, case.case_id).max_lamport
    at = hostile(world, case, lamport=top + MAX_LAMPORT_STEP)
    assert results(world["volunteer"], [at]) == [("stored", None)]
    everyone_still_appends_and_the_pusher_can_be_removed(world, case)


def test_a_time_a_day_ahead_is_stored_and_a_millisecond_more_refused(app: Flask, world: dict[str, Member],
                                                                    clock: Clock) -> None:
    case, envelopes = new_case(world)
    assert results(world["volunteer"], envelopes) == [("stored", None)] * 2
    too_late = hostile(world, case, time=int(clock()) * 1000 + DAY_MS + 1)
    assert results(world["volunteer"], [too_late]) == [("rejected", "ClockOutOfRange")]
    everyone_still_appends_and_the_pusher_can_be_removed(world, case)

    case, envelopes = new_case(world)
    assert results(world["volunteer"], envelopes) == [("stored", None)] * 2
    at_the_edge = hostile(world, case, time=int(clock()) * 1000 + DAY_MS)
    assert results(world["volunteer"], [at_the_edge]) == [("stored", None)]
    everyone_still_appends_and_the_pusher_can_be_removed(world, case)


def test_the_inventory_raises_an_alert_for_a_stub_injected_in_the_database(
        app: Flask, world: dict[str, Member], people: dict[str, Person]) -> None:
    case, envelopes = new_case(world)
    other, other_envelopes = new_case(world, notes="untouched")
    assert results(world["volunteer"], envelopes + other_envelopes) == [("stored", None)] * 4
    # Someone with the database key swaps the content entry for its stub: the push path never would.
    with app.app_context():
        conn = get_db()
        conn.execute("UPDATE entries SET envelope = ? WHERE entry_id = ?",
                     (parse_entry(envelopes[1]).stub().to_bytes(), b64url_encode(parse_entry(envelopes[1]).header.entry_id)))
    inventory = logged_in(app, people["auditor"]).get("/api/v1/audit/inventory").get_json()
    failing = [a for a in inventory["alerts"] if a["alert"] == "case-log-fails-verification"]
    assert failing == [{"alert": "case-log-fails-verification", "case_id": b64url_encode(case.case_id),
                        "error": "IncompleteLog"}]
    assert b64url_decode(failing[0]["case_id"]) != other.case_id
