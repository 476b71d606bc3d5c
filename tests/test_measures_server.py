"""The team's table of measures on the server (docs/PROTOCOL.md 6.11): a coordinator of the team
replaces it with a newer signed table, members read it, everything else is refused."""

import pytest
from flask import Flask

from crypto import roster
from crypto.audit import Action, parse_audit_record
from crypto.encoding import b64url_encode
from crypto.measures import MeasureRow, Unit, sign_measures_table_as_coordinator
from sync import accounts
from webapp.database import get_db

from tests.helpers import TEST_PARAMS, Person, auth_hash_for, logged_in
from tests.test_keys_api import ASSOCIATION
from tests.test_sync import Member, world  # noqa: F401  (the fixture)

ROWS = [MeasureRow("OQTF", "OQTF sans délai de départ", 48, Unit.HOURS),
        MeasureRow("house_arrest", "Assignation à résidence", 7, Unit.DAYS, checked=True)]


def team_of(member: Member) -> str:
    return b64url_encode(member.entry.team_id)


def table(member: Member, version: int, rows: list[MeasureRow] = ROWS, team: bytes | None = None) -> bytes:
    """A table signed by the member's keys; the signer check of the reference is skipped for
    tables the server must refuse (a volunteer's, another team's)."""
    entry = member.entry
    if entry.role != roster.Role.COORDINATOR or team is not None:
        entry = roster.sign_roster_entry_as_admin(
            ASSOCIATION, user_id=entry.user_id, serial=99, role=roster.Role.COORDINATOR,
            team_id=team or entry.team_id, encryption_public=entry.encryption_public,
            signing_public=entry.signing_public)
    return sign_measures_table_as_coordinator(member.keys, entry, team_id=team or member.entry.team_id,
                                              version=version, rows=rows).raw


def put(member: Member, raw: bytes, team: str | None = None):
    return member.api.call("PUT", f"/api/v1/teams/{team or team_of(member)}/measures", {"table": b64url_encode(raw)})


def get(member: Member, team: str | None = None):
    return member.api.get(f"/api/v1/teams/{team or team_of(member)}/measures")


def audit_actions(app: Flask) -> list[Action]:
    with app.app_context():
        rows = get_db().execute("SELECT record FROM audit_log ORDER BY seq").fetchall()
        return [parse_audit_record(bytes(r[0])).action for r in rows]


def test_a_coordinator_replaces_the_table_and_members_read_it(app: Flask, world: dict[str, Member]) -> None:
    coordinator, volunteer = world["coordinator"], world["volunteer"]
    assert get(volunteer).get_json() == {"table": None, "version": None}
    first = table(coordinator, 1)
    response = put(coordinator, first)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"table": b64url_encode(first), "version": 1}
    assert get(volunteer).get_json() == {"table": b64url_encode(first), "version": 1}
    assert audit_actions(app).count(Action.MEASURES_CHANGED) == 1
    # The same table again is no change and no record.
    assert put(coordinator, first).status_code == 200
    assert audit_actions(app).count(Action.MEASURES_CHANGED) == 1
    second = table(coordinator, 2, ROWS[:1])
    assert put(coordinator, second).status_code == 200
    assert get(coordinator).get_json()["version"] == 2


def test_an_older_table_or_a_version_taken_is_refused(app: Flask, world: dict[str, Member]) -> None:
    coordinator = world["coordinator"]
    first, second = table(coordinator, 1), table(coordinator, 2)
    assert put(coordinator, second).status_code == 200
    response = put(coordinator, first)
    assert response.status_code == 409
    assert response.get_json()["code"] == "measures-stale" and response.get_json()["latest_version"] == 2
    rival = table(coordinator, 2, ROWS[:1])
    assert put(coordinator, rival).get_json()["code"] == "measures-stale"
    assert get(coordinator).get_json()["table"] == b64url_encode(second)


def test_a_volunteer_another_team_and_a_forged_table_are_refused(app: Flask, world: dict[str, Member],
                                                                 people: dict[str, Person]) -> None:
    coordinator, volunteer, outsider = world["coordinator"], world["volunteer"], world["outsider"]
    response = put(volunteer, table(volunteer, 1))
    assert response.status_code == 403 and response.get_json()["code"] == "forbidden"
    # A coordinator cannot read or write another team's table.
    assert get(coordinator, team_of(outsider)).status_code == 403
    assert put(coordinator, table(coordinator, 1), team_of(outsider)).status_code == 403
    assert get(outsider, team_of(coordinator)).status_code == 403
    # Signed for another team, signed by someone else, or forged: not the team's table.
    other = put(coordinator, table(coordinator, 1, team=outsider.entry.team_id))
    assert other.status_code == 422 and other.get_json()["code"] == "measures-invalid"
    assert put(coordinator, table(volunteer, 1, team=coordinator.entry.team_id)).get_json()["code"] == "measures-invalid"
    raw = bytearray(table(coordinator, 1))
    raw[-1] ^= 1
    assert put(coordinator, bytes(raw)).get_json()["code"] == "measures-invalid"
    assert put(coordinator, b"CNM").get_json()["code"] == "measures-invalid"
    # Auditors and admins have no team table.
    for role in ("auditor", "admin"):
        assert logged_in(app, people[role]).get(f"/api/v1/teams/{team_of(coordinator)}/measures").status_code == 403
    assert get(volunteer).get_json()["table"] is None
    assert Action.MEASURES_CHANGED not in audit_actions(app)


@pytest.mark.parametrize("body", [{}, {"table": 5}, {"table": "AA="}, {"table": "A" * 40000}, {"table": ""},
                                  {"table": "AAAA", "more": 1}])
def test_a_malformed_request_is_a_validation_problem(world: dict[str, Member], body: dict) -> None:
    coordinator = world["coordinator"]
    response = coordinator.api.call("PUT", f"/api/v1/teams/{team_of(coordinator)}/measures", body)
    assert response.status_code == 422 and response.get_json()["code"] == "validation-failed"


def test_a_coordinator_without_a_roster_entry_cannot_sign(app: Flask, world: dict[str, Member]) -> None:
    coordinator = world["coordinator"]
    with app.app_context():
        conn = get_db()
        new_id = accounts.create_user(conn, email="new.coordinator@example.org", display_name="New coordinator",
                                      role="coordinator", team_id=team_of(coordinator),
                                      kdf=TEST_PARAMS, auth_hash=auth_hash_for(coordinator.person.passphrase), now=1)
    person = Person(new_id, "new.coordinator@example.org", "coordinator", coordinator.person.passphrase)
    newcomer = Member(person, logged_in(app, person), coordinator.keys, coordinator.entry, coordinator.device)
    response = put(newcomer, table(coordinator, 1))
    assert response.status_code == 422 and response.get_json()["code"] == "measures-invalid"
