"""Passphrase recovery on the server, and the roster rules for revocation and recovery: a reset
link, a new passphrase, the old keys kept as former keys, revocations accepted over them and
published in the directory."""

from typing import Any

import pytest
from flask import Flask

from crypto import roster
from crypto.audit import Action
from crypto.encoding import b64url_decode, b64url_encode
from crypto.kdf import KdfParams, derive_account_secrets
from sync import directory
from sync.errors import Conflict
from sync import accounts
from webapp.config import config_of
from webapp.database import get_db

from tests.helpers import Api, Person, logged_in
from tests.test_keys_api import ASSOCIATION, publish_keys, set_up_association, sign_entry, team_of

NEW_PASSPHRASE = "a brand new passphrase after a reset"


def issue_reset(app: Flask, person: Person) -> str:
    with app.app_context():
        config = config_of(app)
        return accounts.issue_reset(get_db(), config, user_id=person.id, created_by=None, now=config.now())


def complete_reset(app: Flask, token: str, passphrase: str = NEW_PASSPHRASE) -> Any:
    api = Api(app.test_client())
    start = api.post("/api/v1/enrolment/start", {"token": token})
    if start.status_code != 200:
        return start
    auth = derive_account_secrets(passphrase, KdfParams.from_json(start.get_json()["kdf"])).auth
    return api.post("/api/v1/enrolment/reset", {"token": token, "auth": b64url_encode(auth)})


def log_in_after_reset(app: Flask, email: str, passphrase: str = NEW_PASSPHRASE) -> tuple[Api, int]:
    """Log in as a client does: the account's KDF parameters first (a reset made new ones)."""
    api = Api(app.test_client())
    kdf = KdfParams.from_json(api.post("/api/v1/auth/params", {"email": email}).get_json()["kdf"])
    auth = derive_account_secrets(passphrase, kdf).auth
    return api, api.post("/api/v1/auth/login", {"email": email, "auth": b64url_encode(auth)}).status_code


def audit_actions(app: Flask) -> list[int]:
    with app.app_context():
        return [r[0] for r in get_db().execute("SELECT action FROM audit_log ORDER BY seq")]


def former_keys(app: Flask, user_id: str) -> list[tuple[bytes, bytes]]:
    with app.app_context():
        return [(bytes(r[0]), bytes(r[1])) for r in get_db().execute(
            "SELECT encryption_public, signing_public FROM former_account_keys WHERE user_id = ?", (user_id,))]


@pytest.fixture
def certified(app: Flask, people: dict[str, Person]) -> dict[str, Any]:
    """The volunteer with published keys and an active roster entry, serial 1."""
    admin, volunteer = logged_in(app, people["admin"]), logged_in(app, people["volunteer"])
    set_up_association(admin, people["admin"])
    _response, keys, _blob = publish_keys(volunteer, people["volunteer"])
    team = team_of(volunteer)
    entry = sign_entry(ASSOCIATION, people["volunteer"].id, keys, serial=1, role=roster.Role.VOLUNTEER, team=team)
    assert admin.post("/api/v1/roster", {"entry": b64url_encode(entry.raw)}).status_code == 201
    return {"admin": admin, "volunteer": volunteer, "keys": keys, "team": team}


def test_a_reset_gives_a_new_passphrase_retires_the_keys_and_ends_sessions(
        app: Flask, people: dict[str, Person], certified: dict[str, Any]) -> None:
    person = people["volunteer"]
    token = issue_reset(app, person)
    response = complete_reset(app, token)
    assert response.status_code == 200 and response.get_json()["person"]["id"] == person.id
    # The old session is gone; the old passphrase no longer logs in; the new one does.
    assert certified["volunteer"].get("/api/v1/me").status_code == 401
    assert log_in_after_reset(app, person.email, person.passphrase)[1] == 401
    fresh, status = log_in_after_reset(app, person.email)
    assert status == 200
    # The keys moved to the former keys: the app publishes new ones as at first sign-in.
    assert former_keys(app, person.id) == [(certified["keys"].encryption_public, certified["keys"].signing_public)]
    assert fresh.get("/api/v1/me/keys").get_json()["code"] == "keys-missing"
    again = Person(person.id, person.email, person.role, NEW_PASSPHRASE)
    assert publish_keys(fresh, again)[0].status_code == 201
    actions = audit_actions(app)
    assert actions.index(Action.RESET_ISSUED) < actions.index(Action.RESET_COMPLETED)


def test_a_reset_link_is_single_use_and_a_new_one_voids_the_previous(app: Flask, people: dict[str, Person]) -> None:
    first = issue_reset(app, people["auditor"])
    second = issue_reset(app, people["auditor"])
    assert complete_reset(app, first).get_json()["code"] == "invitation-expired"
    assert complete_reset(app, second).status_code == 200
    assert complete_reset(app, second).get_json()["code"] == "invitation-used"


def test_a_reset_link_cannot_create_an_account_nor_an_invitation_reset_one(
        app: Flask, people: dict[str, Person]) -> None:
    token = issue_reset(app, people["auditor"])
    api = Api(app.test_client())
    kdf = KdfParams.from_json(api.post("/api/v1/enrolment/start", {"token": token}).get_json()["kdf"])
    auth = b64url_encode(derive_account_secrets(NEW_PASSPHRASE, kdf).auth)
    finish = api.post("/api/v1/enrolment/finish", {"token": token, "display_name": "Intruder", "auth": auth})
    assert finish.status_code == 404 and finish.get_json()["code"] == "invitation-invalid"
    with app.app_context():
        config = config_of(app)
        team = accounts.team_by_name(get_db(), "Prisons")
        invitation = accounts.invite(get_db(), config, email="newcomer@example.org", role="volunteer",
                                     team_id=team, created_by=None, now=config.now())
    reset = api.post("/api/v1/enrolment/reset", {"token": invitation, "auth": auth})
    assert reset.status_code == 404 and reset.get_json()["code"] == "invitation-invalid"


def test_the_start_of_a_reset_says_it_is_a_reset(app: Flask, people: dict[str, Person]) -> None:
    token = issue_reset(app, people["auditor"])
    body = Api(app.test_client()).post("/api/v1/enrolment/start", {"token": token}).get_json()
    assert body["kind"] == "reset" and body["email"] == people["auditor"].email


# The roster's rules for revocation and recovery ------------------------------------------------

def post_entry(admin: Api, entry: roster.RosterEntry) -> Any:
    return admin.post("/api/v1/roster", {"entry": b64url_encode(entry.raw)})


def revoked(user_id: str, keys: Any, *, serial: int, team: bytes) -> roster.RosterEntry:
    return roster.sign_roster_entry_as_admin(
        ASSOCIATION, user_id=b64url_decode(user_id), serial=serial, role=roster.Role.VOLUNTEER, team_id=team,
        encryption_public=keys.encryption_public, signing_public=keys.signing_public, status=roster.Status.REVOKED)


def test_an_active_persons_certification_can_be_revoked(people: dict[str, Person], certified: dict[str, Any]) -> None:
    person = people["volunteer"]
    entry = revoked(person.id, certified["keys"], serial=2, team=certified["team"])
    assert post_entry(certified["admin"], entry).status_code == 201
    row = {p["user_id"]: p for p in certified["admin"].get("/api/v1/directory").get_json()["people"]}[person.id]
    assert [b64url_decode(r) for r in row["revocations"]] == [entry.raw]


def test_after_a_reset_the_old_keys_are_revoked_then_the_new_ones_certified(
        app: Flask, people: dict[str, Person], certified: dict[str, Any]) -> None:
    person = people["volunteer"]
    assert complete_reset(app, issue_reset(app, person)).status_code == 200
    fresh, _status = log_in_after_reset(app, person.email)
    _response, new_keys, _blob = publish_keys(fresh, Person(person.id, person.email, person.role, NEW_PASSPHRASE))
    admin, team = certified["admin"], certified["team"]
    # An active entry over the former keys is refused; a revocation over them is accepted.
    stale = sign_entry(ASSOCIATION, person.id, certified["keys"], serial=2, role=roster.Role.VOLUNTEER, team=team)
    assert post_entry(admin, stale).get_json()["code"] == "roster-mismatch"
    old_revoked = revoked(person.id, certified["keys"], serial=2, team=team)
    assert post_entry(admin, old_revoked).status_code == 201
    active = sign_entry(ASSOCIATION, person.id, new_keys, serial=3, role=roster.Role.VOLUNTEER, team=team)
    assert post_entry(admin, active).status_code == 201
    # The latest entry is active again; the revocation of the old keys stays in the directory.
    row = {p["user_id"]: p for p in fresh.get("/api/v1/directory").get_json()["people"]}[person.id]
    assert b64url_decode(row["roster"]) == active.raw
    assert [b64url_decode(r) for r in row["revocations"]] == [old_revoked.raw]
    with app.app_context():
        assert directory.certification(get_db(), person.id) == "certified"


def test_revocations_follow_the_persons_role_and_team_and_keys_they_held(
        app: Flask, people: dict[str, Person], certified: dict[str, Any]) -> None:
    person, admin = people["volunteer"], certified["admin"]
    other_team = roster.sign_roster_entry_as_admin(
        ASSOCIATION, user_id=b64url_decode(person.id), serial=2, role=roster.Role.VOLUNTEER, team_id=b"\x01" * 16,
        encryption_public=certified["keys"].encryption_public, signing_public=certified["keys"].signing_public,
        status=roster.Status.REVOKED)
    assert post_entry(admin, other_team).get_json()["code"] == "roster-mismatch"
    stranger = publish_keys(logged_in(app, people["coordinator"]), people["coordinator"])[1]
    assert post_entry(admin, revoked(person.id, stranger, serial=2, team=certified["team"])).get_json()["code"] \
        == "roster-mismatch"


def test_a_disabled_person_can_be_revoked_but_not_certified(
        app: Flask, people: dict[str, Person], certified: dict[str, Any]) -> None:
    person, admin, team = people["volunteer"], certified["admin"], certified["team"]
    with app.app_context():
        config = config_of(app)
        accounts.set_status(get_db(), person.id, "disabled", config.now())
    active = sign_entry(ASSOCIATION, person.id, certified["keys"], serial=2, role=roster.Role.VOLUNTEER, team=team)
    assert post_entry(admin, active).get_json()["code"] == "roster-mismatch"
    assert post_entry(admin, revoked(person.id, certified["keys"], serial=2, team=team)).status_code == 201
    with app.app_context():
        assert directory.certification(get_db(), person.id) == "revoked"


def test_an_invitation_for_an_existing_account_points_to_a_reset(app: Flask, people: dict[str, Person]) -> None:
    with app.app_context(), pytest.raises(Conflict) as refused:
        config = config_of(app)
        accounts.invite(get_db(), config, email=people["auditor"].email, role="auditor", team_id=None,
                        created_by=None, now=config.now())
    assert refused.value.code == "account-exists"


def test_a_stored_entry_that_no_longer_verifies_is_served_as_is_and_named_on_the_admin_side(
        app: Flask, people: dict[str, Person], certified: dict[str, Any]) -> None:
    """Given a revocation changed in the database, then the directory still answers and serves it
    (readers verify and refuse it), and the admin's overview says it does not verify."""
    person, admin = people["volunteer"], certified["admin"]
    entry = revoked(person.id, certified["keys"], serial=2, team=certified["team"])
    assert post_entry(admin, entry).status_code == 201
    forged = entry.raw[:40] + bytes([entry.raw[40] ^ 1]) + entry.raw[41:]
    with app.app_context():
        get_db().execute("UPDATE roster_entries SET raw = ? WHERE user_id = ? AND serial = 2", (forged, person.id))
    response = admin.get("/api/v1/directory")
    assert response.status_code == 200
    row = {p["user_id"]: p for p in response.get_json()["people"]}[person.id]
    assert [b64url_decode(r) for r in row["revocations"]] == [forged]
    with app.app_context():
        assert directory.certification(get_db(), person.id) == "invalid"
    page = admin.client.get("/admin/", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and 'data-certification="invalid"' in page.get_data(as_text=True)
