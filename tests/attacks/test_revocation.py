"""Revoked people in a case log (docs/PROTOCOL.md 9.2): a coordinator grants a case key to a person
the association revoked, and a revoked member who was never removed keeps writing.

The case log pins each member's roster entry when they are granted; the revocation is a later
roster entry it never holds. A reader refuses what is dated at or after the revocation; the
server, which holds the revocation as it stores, refuses whatever comes after it, backdated or
not. Each test fails without its defence (checked by making ``check_not_revoked`` return at once,
and by the server calling ``accept_entry`` without the roster).
"""

import pytest
from flask import Flask

from crypto.acceptance import accept_entry, accept_entry_with_roster, check_not_revoked, revocations_of
from crypto.audit import Action, parse_audit_record
from crypto.caselog import CaseLog, verify_case_log
from crypto.encoding import b64url_encode
from crypto.entry import Kind
from crypto.errors import InvalidEncoding, RevokedUser
from crypto.roster import RosterEntry, Status, sign_roster_entry_as_admin
from crypto.writer import add_member_as_coordinator, create_case_as_member, seal_entry_as_author
from sync import audit, directory
from sync import accounts
from webapp.database import get_db

from tests.audit_demo import Demo, build_demo
from tests.crypto.scenario import MINUTE, Case, World, body, craft, open_case, replay
from tests.helpers import logged_in

NEVER = lambda _revocation: False  # noqa: E731 - a reader that knows no storage order


def revoked(world: World, name: str, at: int, serial: int = 2, status: Status = Status.REVOKED) -> RosterEntry:
    who = world[name]
    return sign_roster_entry_as_admin(world.association, user_id=who.user_id, serial=serial, role=who.roster.role,
                                      team_id=who.roster.team_id, encryption_public=who.keys.encryption_public,
                                      signing_public=who.keys.signing_public, status=status, now=at)


def grant(case: Case, coordinator: str, roster: RosterEntry, at: int) -> bytes:
    who = case.world[coordinator]
    view = replay(case.world, case.envelopes, case.case_id)
    return add_member_as_coordinator(view, who.keys, device_id=who.device_id, new_member=roster,
                                     case_key=case.keys[view.state.epoch], now=at)


def test_a_grant_dated_after_the_revocation_is_refused_by_readers_and_the_server(world: World) -> None:
    # Given bob revoked at t, and carol (whose device has not seen it) adding him at t + 1 minute.
    case = open_case(world, case_id=b"\x31" * 16)
    t = case.clock + MINUTE
    revocations = revocations_of([world["bob"].roster, revoked(world, "bob", t)])
    add = grant(case, "carol", world["bob"].roster, t + MINUTE)
    log = replay(world, case.envelopes, case.case_id)
    with pytest.raises(RevokedUser, match="granting"):
        check_not_revoked(log, add, revocations, known=NEVER)
    with pytest.raises(RevokedUser):
        accept_entry_with_roster(log, add, [revoked(world, "bob", t)], now_ms=t + MINUTE)
    assert len(log.entries) == 1
    # Dated before the revocation, a reader cannot tell; the server, which holds it, still refuses.
    backdated = grant(case, "carol", world["bob"].roster, t - 1)
    check_not_revoked(log, backdated, revocations, known=NEVER)
    with pytest.raises(RevokedUser):
        accept_entry_with_roster(log, backdated, [revoked(world, "bob", t)], now_ms=t + MINUTE)
    # Without the revocation in its roster, the server stores the same grant: the rule is the defence.
    accept_entry_with_roster(log, backdated, [world["bob"].roster], now_ms=t + MINUTE)


def test_a_revoked_member_never_removed_writes_nothing_past_the_revocation(world: World) -> None:
    # Given bob, a member, revoked at t and never removed by a coordinator.
    case = open_case(world, members=("alice", "bob", "carol"), case_id=b"\x32" * 16)
    case.write("bob", body("note", text="before"), "bob before")
    t = case.clock + MINUTE
    revocations = revocations_of([revoked(world, "bob", t)])
    log = replay(world, case.envelopes, case.case_id)
    for index, raw in enumerate(case.envelopes):  # What he wrote before stays, the revocation known.
        before = CaseLog(case.case_id, world.association.public_key)
        for earlier in case.envelopes[:index]:
            before.append(earlier)
        check_not_revoked(before, raw, revocations, known=NEVER)
    bob, alice = world["bob"], world["alice"]
    # A writer appends to its own view as it seals; the log checked is the reader's.
    after = seal_entry_as_author(replay(world, case.envelopes, case.case_id), bob.keys, device_id=bob.device_id, case_key=case.keys[1],
                                 body_json=body("note", text="after"), now=t)
    with pytest.raises(RevokedUser, match="written by"):
        check_not_revoked(log, after, revocations, known=NEVER)
    # Alice, not revoked, writes on; a later serial that makes bob active again does not lift the
    # revocation of the serial the case pinned: he is removed and granted again first.
    accept_entry(log, seal_entry_as_author(replay(world, case.envelopes, case.case_id), alice.keys,
                                           device_id=alice.device_id, case_key=case.keys[1],
                                           body_json=body("note", text="alice"), now=t), now_ms=t)
    back = revocations_of([revoked(world, "bob", t), revoked(world, "bob", t + MINUTE, 3, Status.ACTIVE)])
    with pytest.raises(RevokedUser):
        check_not_revoked(log, after, back, known=NEVER)


def test_a_grant_of_the_newer_active_serial_after_a_revocation_passes(world: World) -> None:
    case = open_case(world, case_id=b"\x33" * 16)
    t = case.clock + MINUTE
    again = revoked(world, "bob", t + MINUTE, 3, Status.ACTIVE)
    roster = [revoked(world, "bob", t), again]
    log = replay(world, case.envelopes, case.case_id)
    accept_entry_with_roster(log, grant(case, "carol", again, t + 2 * MINUTE), roster, now_ms=t + 2 * MINUTE)
    # An ADD whose payload does not parse grants no one here; section 9 refuses it.
    broken = craft(log, world["carol"], Kind.ADD, b"\x09")
    check_not_revoked(log, broken, revocations_of(roster), known=NEVER)
    with pytest.raises(InvalidEncoding):
        log.append(broken)


# At the server, through the push API ---------------------------------------------------------------------

def revoke_on_server(demo: Demo, name: str, now: int) -> RosterEntry:
    member = demo.members[name]
    entry = sign_roster_entry_as_admin(demo.association, user_id=member.keys.user_id, serial=2,
                                       role=member.roster.role, team_id=member.roster.team_id,
                                       encryption_public=member.keys.encryption_public,
                                       signing_public=member.keys.signing_public, status=Status.REVOKED,
                                       now=now * 1000)
    with demo.app.app_context():
        conn = get_db()
        accounts.set_status(conn, member.person.id, "disabled", now)
        directory.accept_roster_entry(conn, entry.raw, demo.members["admin"].person.id, now)
    return entry


def push(demo: Demo, name: str, envelope: bytes) -> dict:
    return demo.members[name].api.post("/api/v1/sync/push", {"entries": [b64url_encode(envelope)]}).get_json()[
        "results"][0]


def test_the_server_refuses_a_grant_to_a_revoked_person_even_backdated(app: Flask) -> None:
    # Given a coordinator's own case, and vol-p2 revoked by the admin.
    demo = build_demo(app)
    coordinator = demo.members["coord-p"]
    key = demo.association.public_key
    case = create_case_as_member(coordinator.keys, association_key=key, team_id=coordinator.roster.team_id,
                                 device_id=coordinator.device, members=[coordinator.roster])
    demo.push("coord-p", [case.envelope])
    revocation = revoke_on_server(demo, "vol-p2", 1_800_000_000)
    # When the coordinator, whose device missed the revocation, grants vol-p2 (dated before it).
    add = add_member_as_coordinator(case.log, coordinator.keys, device_id=coordinator.device,
                                    new_member=demo.members["vol-p2"].roster, case_key=case.case_key,
                                    now=revocation.issued_at - 1)
    result = push(demo, "coord-p", add)
    # Then it is refused with its reason, nothing is recorded for it, and the case still takes notes.
    assert (result["status"], result["code"]) == ("rejected", "RevokedUser")
    with demo.app.app_context():
        records = [parse_audit_record(raw) for raw in audit.all_records(get_db())]
    assert Action.MEMBER_ADDED not in {r.action for r in records if r.subject == case.case_id}
    # The coordinator's device drops the refused grant from its view (8.12) and writes on.
    view = verify_case_log(case.case_id, [case.envelope], key)
    demo.write(view, {1: case.case_key}, "coord-p", "the case goes on")
    assert view.state.members.keys() == {coordinator.keys.user_id}


def test_the_inventory_raises_an_alert_for_a_roster_entry_gone_from_the_database(app: Flask) -> None:
    demo = build_demo(app)
    revoke_on_server(demo, "vol-v2", 1_800_000_000)
    api = logged_in(demo.app, demo.members["auditor"].person)
    assert not [a for a in api.get("/api/v1/audit/inventory").get_json()["alerts"] if a["alert"] == "roster-incomplete"]
    with demo.app.app_context():
        conn = get_db()
        conn.execute("DELETE FROM roster_entries WHERE user_id = ? AND serial = 2",
                     (demo.members["vol-v2"].person.id,))
    alerts = [a for a in api.get("/api/v1/audit/inventory").get_json()["alerts"] if a["alert"] == "roster-incomplete"]
    assert len(alerts) == 1 and "missing" in alerts[0]["detail"]
