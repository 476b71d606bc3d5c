"""The sync API on the real app and SQLCipher: push, pull, idempotency, refusals, membership."""

import json
import os
from dataclasses import dataclass, replace

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto import roster
from crypto.caselog import CaseLog
from crypto.encoding import b64url_decode, b64url_encode
from crypto.keys import generate_account_keys
from crypto.writer import create_case_as_member, remove_member_as_coordinator, seal_entry_as_author
from sync import accounts
from webapp import create_app
from webapp.config import Config
from webapp.database import get_db

from tests.helpers import TEST_PARAMS, Api, Person, auth_hash_for, logged_in
from tests.test_keys_api import ASSOCIATION, set_up_association


@dataclass
class Member:
    person: Person
    api: Api
    keys: object
    entry: roster.RosterEntry
    device: bytes


@pytest.fixture
def world(app: Flask, people: dict[str, Person]) -> dict[str, Member]:
    """Association key, published keys and signed roster entries for every team member."""
    admin = logged_in(app, people["admin"])
    set_up_association(admin, people["admin"])
    with app.app_context():
        conn = get_db()
        other_team = accounts.create_team(conn, "CRA", 1)
        outsider_id = accounts.create_user(conn, email="outsider@example.org", display_name="Outsider",
                                           role="volunteer", team_id=other_team, kdf=TEST_PARAMS,
                                           auth_hash=auth_hash_for("outsider passphrase"), now=1)
    people = {**people, "outsider": Person(outsider_id, "outsider@example.org", "volunteer", "outsider passphrase")}
    members = {}
    for name in ("volunteer", "coordinator", "outsider"):
        person = people[name]
        api = logged_in(app, person)
        keys = generate_account_keys(b64url_decode(person.id))
        api.call("PUT", "/api/v1/me/keys", {"encryption_public": b64url_encode(keys.encryption_public),
                                            "signing_public": b64url_encode(keys.signing_public),
                                            "wrapped_private": b64url_encode(b"\1" * 83)})
        team = b64url_decode(api.get("/api/v1/me").get_json()["person"]["team_id"])
        entry = roster.sign_roster_entry_as_admin(
            ASSOCIATION, user_id=keys.user_id, serial=1, role=roster.Role[person.role.upper()], team_id=team,
            encryption_public=keys.encryption_public, signing_public=keys.signing_public)
        assert admin.post("/api/v1/roster", {"entry": b64url_encode(entry.raw)}).status_code == 201
        members[name] = Member(person, api, keys, entry, os.urandom(16))
    return members


def new_case(world: dict[str, Member], author: str = "volunteer", notes: str = "first notes"):
    writer = world[author]
    case = create_case_as_member(writer.keys, association_key=ASSOCIATION.public_key, team_id=writer.entry.team_id,
                                 device_id=writer.device, members=[world["volunteer"].entry, world["coordinator"].entry])
    content = seal_entry_as_author(case.log, writer.keys, device_id=writer.device, case_key=case.case_key,
                                   body_json=json.dumps({"notes": notes}).encode())
    return case, [case.envelope, content]


def push(api: Api, envelopes: list[bytes]):
    return api.post("/api/v1/sync/push", {"entries": [b64url_encode(e) for e in envelopes]})


def pulled(api: Api, cursor: int = 0, limit: int = 500) -> list[bytes]:
    body = api.get(f"/api/v1/sync/pull?cursor={cursor}&limit={limit}").get_json()
    return [b64url_decode(e["envelope"]) for e in body["entries"]]


def stored_count(app: Flask) -> int:
    with app.app_context():
        return get_db().execute("SELECT count(*) FROM entries").fetchone()[0]


def test_a_case_pushed_by_its_author_reaches_its_members_and_the_auditor_only(
        app: Flask, world: dict[str, Member], people: dict[str, Person]) -> None:
    _case, envelopes = new_case(world)
    response = push(world["volunteer"].api, envelopes)
    assert [r["status"] for r in response.get_json()["results"]] == ["stored", "stored"]
    assert pulled(world["volunteer"].api) == envelopes
    assert pulled(world["coordinator"].api) == envelopes
    assert pulled(logged_in(app, people["auditor"])) == envelopes
    assert pulled(world["outsider"].api) == []


def test_the_same_batch_twice_is_stored_once(app: Flask, world: dict[str, Member]) -> None:
    _case, envelopes = new_case(world)
    push(world["volunteer"].api, envelopes)
    again = push(world["volunteer"].api, envelopes).get_json()["results"]
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    assert stored_count(app) == 2


def test_other_bytes_under_a_known_entry_id_are_a_conflict(app: Flask, world: dict[str, Member]) -> None:
    case, envelopes = new_case(world)
    push(world["volunteer"].api, envelopes)
    forged = bytearray(envelopes[1])
    forged[-1] ^= 1
    result = push(world["volunteer"].api, [bytes(forged)]).get_json()["results"][0]
    assert result["status"] == "conflict" and result["code"] == "entry-id-taken"
    assert pulled(world["volunteer"].api) == envelopes


def test_a_forged_signature_is_refused_and_nothing_is_stored(app: Flask, world: dict[str, Member]) -> None:
    _case, envelopes = new_case(world)
    forged = bytearray(envelopes[0])
    forged[-1] ^= 1
    results = push(world["volunteer"].api, [bytes(forged), envelopes[1]]).get_json()["results"]
    assert results[0]["status"] == "rejected" and results[0]["code"] == "InvalidSignature"
    assert results[1]["status"] == "rejected"
    assert stored_count(app) == 0


def test_nobody_pushes_entries_written_by_someone_else(app: Flask, world: dict[str, Member]) -> None:
    _case, envelopes = new_case(world)
    results = push(world["coordinator"].api, envelopes).get_json()["results"]
    assert {r["code"] for r in results} == {"not-the-author"}
    assert stored_count(app) == 0


def test_a_case_is_opened_only_in_the_authors_current_team(app: Flask, world: dict[str, Member]) -> None:
    # The roster still says "Prisons", but the admin has since moved the volunteer to "CRA".
    _case, envelopes = new_case(world)
    with app.app_context():
        conn = get_db()
        accounts.update_person(conn, world["volunteer"].person.id, role="volunteer",
                               team_id=accounts.team_by_name(conn, "CRA"), now=2)
    result = push(world["volunteer"].api, envelopes[:1]).get_json()["results"][0]
    assert result["status"] == "rejected" and result["code"] == "other-team"
    assert stored_count(app) == 0


def test_a_non_member_cannot_write_to_or_read_a_case(app: Flask, world: dict[str, Member]) -> None:
    case, envelopes = new_case(world)
    push(world["volunteer"].api, envelopes)
    outsider = world["outsider"]
    own = create_case_as_member(outsider.keys, association_key=ASSOCIATION.public_key, team_id=outsider.entry.team_id,
                                device_id=outsider.device, members=[outsider.entry])
    # An entry of the outsider's own making, aimed at the volunteer's case id.
    intruding = seal_entry_as_author(own.log, outsider.keys, device_id=outsider.device, case_key=own.case_key,
                                     body_json=b'{"x": 1}')
    assert push(outsider.api, [intruding]).get_json()["results"][0]["code"] in ("unknown-case", "not-a-member")
    case_id = b64url_encode(case.case_id)
    assert outsider.api.get(f"/api/v1/sync/cases/{case_id}/entries").status_code == 404
    assert outsider.api.get("/api/v1/sync/cases/AAAAAAAAAAAAAAAAAAAAAA/entries").status_code == 404
    assert world["coordinator"].api.get(f"/api/v1/sync/cases/{case_id}/entries").status_code == 200


def test_a_removed_member_is_refused_at_once(app: Flask, world: dict[str, Member]) -> None:
    case, envelopes = new_case(world)
    push(world["volunteer"].api, envelopes)
    coordinator = world["coordinator"]
    removal, _new_key = remove_member_as_coordinator(case.log, coordinator.keys, device_id=coordinator.device,
                                                     user_id=world["volunteer"].keys.user_id, case_key=case.case_key)
    assert push(coordinator.api, [removal]).get_json()["results"][0]["status"] == "stored"
    # Written offline before the volunteer learnt of the removal, on the old state.
    late = seal_entry_as_author(stale_log(case, envelopes), world["volunteer"].keys, device_id=world["volunteer"].device,
                                case_key=case.case_key, body_json=b"{}")
    result = push(world["volunteer"].api, [late]).get_json()["results"][0]
    assert result["status"] == "rejected" and result["code"] == "not-a-member"
    # What comes after the removal never reaches the former member; the removal itself does, so
    # their device learns of it and of which of their entries the server holds.
    after = seal_entry_as_author(case.log, coordinator.keys, device_id=coordinator.device, case_key=_new_key,
                                 body_json=b'{"after": 1}')
    assert push(coordinator.api, [after]).get_json()["results"][0]["status"] == "stored"
    assert pulled(world["volunteer"].api) == [*envelopes, removal]
    case_id = b64url_encode(case.case_id)
    fetched = world["volunteer"].api.get(f"/api/v1/sync/cases/{case_id}/entries").get_json()["entries"]
    assert [b64url_decode(e["envelope"]) for e in fetched] == [*envelopes, removal]
    assert world["volunteer"].api.get("/api/v1/sync/cases").get_json()["cases"] == []


def stale_log(case, envelopes: list[bytes]) -> CaseLog:
    log = CaseLog(case.case_id, ASSOCIATION.public_key)
    for envelope in envelopes:
        log.append(envelope)
    return log


def test_pull_pages_with_a_cursor(world: dict[str, Member]) -> None:
    _case, envelopes = new_case(world)
    push(world["volunteer"].api, envelopes)
    api = world["coordinator"].api
    first = api.get("/api/v1/sync/pull?cursor=0&limit=1").get_json()
    assert len(first["entries"]) == 1 and first["more"]
    second = api.get(f"/api/v1/sync/pull?cursor={first['next_cursor']}&limit=1").get_json()
    assert [b64url_decode(e["envelope"]) for e in first["entries"] + second["entries"]] == envelopes
    assert not api.get(f"/api/v1/sync/pull?cursor={second['next_cursor']}").get_json()["entries"]


@pytest.mark.parametrize("body,code", [
    ({}, "validation-failed"),
    ({"entries": []}, "validation-failed"),
    ({"entries": "AAAA"}, "validation-failed"),
    ({"entries": ["not base64!"]}, "validation-failed"),
    ({"entries": ["AAAA"] * 201}, "validation-failed"),
    ({"entries": ["AAAA"], "extra": 1}, "validation-failed"),
])
def test_bad_push_bodies_get_typed_problems_and_store_nothing(app: Flask, world: dict[str, Member],
                                                              body: dict, code: str) -> None:
    response = world["volunteer"].api.post("/api/v1/sync/push", body)
    assert response.status_code == 422 and response.get_json()["code"] == code
    assert stored_count(app) == 0


def test_garbage_envelopes_are_rejected_one_by_one(app: Flask, world: dict[str, Member]) -> None:
    _case, envelopes = new_case(world)
    results = push(world["volunteer"].api, [b"CNE", envelopes[0] + b"\0", envelopes[0]]).get_json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "stored"]
    assert results[1]["code"] == "TrailingBytes"


def test_bad_cursors_are_refused(world: dict[str, Member]) -> None:
    for query in ("cursor=-1", "cursor=abc", "limit=100000"):
        response = world["volunteer"].api.get(f"/api/v1/sync/pull?{query}")
        assert response.status_code == 422, query


def test_push_bodies_have_their_own_limit(app: Flask, world: dict[str, Member]) -> None:
    api = world["volunteer"].api
    huge = api.post("/api/v1/sync/push", {"entries": ["A" * (17 * 1024 * 1024)]})
    assert huge.status_code == 413 and huge.get_json()["code"] == "payload-too-large"
    # Two mebibytes are fine for a push, too large for anything else.
    assert api.post("/api/v1/sync/push", {"entries": ["AAAA"] * 150, "pad": "x" * (2 * 1024 * 1024)}).status_code == 422
    assert api.post("/api/v1/auth/params", {"email": "x" * (2 * 1024 * 1024)}).status_code == 413


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(json_values, st.fixed_dictionaries({"entries": json_values}),
                      st.fixed_dictionaries({"entries": st.lists(st.binary(max_size=300).map(b64url_encode),
                                                                 min_size=1, max_size=3)})))
def test_no_push_body_makes_the_server_fail(app: Flask, world: dict[str, Member], body: object) -> None:
    response = world["volunteer"].api.post("/api/v1/sync/push", body)
    assert response.status_code in (200, 415, 422), response.get_data(as_text=True)
    if response.status_code != 200:
        assert response.mimetype == "application/problem+json"
    else:
        assert {r["status"] for r in response.get_json()["results"]} == {"rejected"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cursor=st.text(max_size=12), limit=st.text(max_size=6))
def test_no_pull_query_makes_the_server_fail(world: dict[str, Member], cursor: str, limit: str) -> None:
    response = world["coordinator"].api.get("/api/v1/sync/pull", query_string={"cursor": cursor, "limit": limit})
    assert response.status_code in (200, 422)


def test_sync_requests_are_limited_per_account(config: Config, people: dict[str, Person]) -> None:
    app = create_app(replace(config, sync_requests_per_minute=3))
    volunteer, coordinator = logged_in(app, people["volunteer"]), logged_in(app, people["coordinator"])
    for _ in range(3):
        assert volunteer.get("/api/v1/sync/pull").status_code == 200
    refused = volunteer.get("/api/v1/sync/pull")
    assert refused.status_code == 429 and refused.get_json()["code"] == "rate-limited"
    assert int(refused.headers["Retry-After"]) >= 1
    assert coordinator.get("/api/v1/sync/pull").status_code == 200
    config.clock.advance(61)
    assert volunteer.get("/api/v1/sync/pull").status_code == 200


def test_the_case_list_names_only_the_callers_cases_and_no_content(app: Flask, world: dict[str, Member],
                                                                   people: dict[str, Person]) -> None:
    case, envelopes = new_case(world)
    push(world["volunteer"].api, envelopes)
    listed = world["volunteer"].api.get("/api/v1/sync/cases").get_json()["cases"]
    assert [c["id"] for c in listed] == [b64url_encode(case.case_id)]
    assert listed[0]["entry_count"] == 2 and listed[0]["epoch"] == 1
    assert set(listed[0]) == {"id", "team_id", "epoch", "entry_count", "created_at", "updated_at"}
    assert world["outsider"].api.get("/api/v1/sync/cases").get_json()["cases"] == []
    assert len(logged_in(app, people["auditor"]).get("/api/v1/sync/cases").get_json()["cases"]) == 1
