"""Invitations, enrolment, login, throttling, sessions: all through the real Flask app and SQLCipher."""

import os
from dataclasses import replace

import pytest
from flask import Flask

from crypto.encoding import b64url_decode, b64url_encode
from crypto.kdf import KdfParams, derive_account_secrets
from crypto.keys import generate_account_keys, rewrap_key_blob, unwrap_account_keys_with_kek, wrap_account_keys_with_kek
from sync import accounts
from webapp import create_app
from webapp.config import Config, config_of
from webapp.database import get_db
from webapp.sessions import COOKIE_NAME
from sync.errors import Conflict

from tests.conftest import Clock
from tests.helpers import Api, Person, logged_in


def make_invitation(app: Flask, email: str = "new@example.org", role: str = "volunteer") -> str:
    with app.app_context():
        conn = get_db()
        team = accounts.team_by_name(conn, "Prisons") or accounts.create_team(conn, "Prisons", 1)
        config = config_of(app)
        return accounts.invite(conn, config, email=email, role=role, team_id=team, created_by=None,
                               now=config.now())


def enrol(api: Api, token: str, passphrase: str = "a long enough passphrase", name: str = "Nour"):
    start = api.post("/api/v1/enrolment/start", {"token": token})
    assert start.status_code == 200, start.get_json()
    kdf = KdfParams.from_json(start.get_json()["kdf"])
    auth = derive_account_secrets(passphrase, kdf).auth
    return api.post("/api/v1/enrolment/finish", {"token": token, "display_name": name,
                                                 "auth": b64url_encode(auth)}), auth


def test_enrolment_creates_the_account_and_logs_in(app: Flask, api: Api) -> None:
    token = make_invitation(app)
    response, _auth = enrol(api, token)
    assert response.status_code == 200
    assert response.get_json()["person"]["email"] == "new@example.org"
    assert api.get("/api/v1/me").get_json()["person"]["role"] == "volunteer"


def test_server_stores_only_an_argon2id_hash_of_auth(app: Flask, api: Api) -> None:
    _response, auth = enrol(api, make_invitation(app))
    with app.app_context():
        user = accounts.user_by_email(get_db(), "new@example.org")
    assert user["auth_hash"].startswith("$argon2id$")
    assert b64url_encode(auth) not in user["auth_hash"]
    assert KdfParams.from_json(__import__("json").loads(user["kdf"])).iterations >= 600_000


def test_enrolment_link_works_once(app: Flask, api: Api) -> None:
    token = make_invitation(app)
    assert enrol(api, token)[0].status_code == 200
    again = Api(app.test_client()).post("/api/v1/enrolment/start", {"token": token})
    assert again.status_code == 410 and again.get_json()["code"] == "invitation-used"


def test_enrolment_link_expires(app: Flask, clock: Clock) -> None:
    token = make_invitation(app)
    clock.advance(72 * 3600 + 1)
    response = Api(app.test_client()).post("/api/v1/enrolment/start", {"token": token})
    assert response.status_code == 410 and response.get_json()["code"] == "invitation-expired"


def test_finishing_with_an_expired_link_creates_nobody(app: Flask, clock: Clock) -> None:
    token = make_invitation(app)
    clock.advance(72 * 3600 + 1)
    response = Api(app.test_client()).post("/api/v1/enrolment/finish", {"token": token, "display_name": "X",
                                                     "auth": b64url_encode(bytes(32))})
    assert response.get_json()["code"] == "invitation-expired"
    with app.app_context():
        assert accounts.user_by_email(get_db(), "new@example.org") is None


def test_unknown_enrolment_token(api: Api) -> None:
    response = api.post("/api/v1/enrolment/start", {"token": "x" * 43})
    assert response.status_code == 404 and response.get_json()["code"] == "invitation-invalid"


def test_inviting_an_email_that_has_an_account_is_refused(app: Flask, people: dict[str, Person]) -> None:
    with pytest.raises(Conflict) as refused:
        make_invitation(app, email=people["volunteer"].email.upper())
    assert refused.value.code == "account-exists"


def test_an_invitation_whose_address_got_an_account_says_so_before_the_form(app: Flask, api: Api) -> None:
    first, second = make_invitation(app, email="twice@example.org"), make_invitation(app, email="twice@example.org")
    response, _ = enrol(api, first)
    assert response.status_code == 200
    start = Api(app.test_client()).post("/api/v1/enrolment/start", {"token": second})
    assert start.status_code == 409 and start.get_json()["code"] == "enrolment-account-exists"


def test_login_succeeds_with_the_right_auth_and_rotates_the_session(
        app: Flask, api: Api, people: dict[str, Person]) -> None:
    before = api.client.get_cookie(COOKIE_NAME)
    response = api.login(people["volunteer"].email, people["volunteer"].passphrase)
    assert response.status_code == 200
    after = api.client.get_cookie(COOKIE_NAME)
    assert after is not None and (before is None or before.value != after.value)
    assert after.secure and after.http_only and after.same_site == "Strict" and after.path == "/"


def test_login_params_for_unknown_email_look_real_and_stay_stable(api: Api, people: dict[str, Person]) -> None:
    known = api.post("/api/v1/auth/params", {"email": people["volunteer"].email}).get_json()["kdf"]
    unknown = api.post("/api/v1/auth/params", {"email": "nobody@example.org"}).get_json()["kdf"]
    assert set(known) == set(unknown) and known["iterations"] == unknown["iterations"]
    assert api.post("/api/v1/auth/params", {"email": "nobody@example.org"}).get_json()["kdf"] == unknown


def test_wrong_auth_fails_without_saying_which_part_is_wrong(api: Api, people: dict[str, Person]) -> None:
    wrong = api.login(people["volunteer"].email, "not the passphrase")
    unknown = api.login("nobody@example.org", "not the passphrase")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json()["code"] == unknown.get_json()["code"] == "login-failed"


def test_repeated_failures_slow_then_lock_the_account(api: Api, people: dict[str, Person], clock: Clock) -> None:
    person = people["volunteer"]
    for _ in range(3):
        assert api.login(person.email, "wrong guess").get_json()["code"] == "login-failed"
    slowed = api.login(person.email, "wrong guess")
    assert slowed.status_code == 429 and slowed.get_json()["code"] == "login-throttled"
    assert int(slowed.headers["Retry-After"]) >= 1
    for _ in range(7):
        clock.advance(61)
        api.login(person.email, "wrong guess")
    locked = api.login(person.email, person.passphrase)
    assert locked.status_code == 429 and locked.get_json()["code"] == "login-locked"
    clock.advance(15 * 60 + 1)
    assert Api(api.client).login(person.email, person.passphrase).status_code == 200


def test_failures_from_one_address_lock_every_account_it_tries(
        app: Flask, api: Api, people: dict[str, Person], clock: Clock) -> None:
    for index in range(10):
        clock.advance(61)
        api.login(f"guess{index}@example.org", "wrong guess")
    response = Api(api.client).login(people["admin"].email, people["admin"].passphrase)
    assert response.get_json()["code"] == "login-locked"
    other = Api(app.test_client())
    assert other.post("/api/v1/auth/login", {"email": people["admin"].email, "auth": "x"},
                      environ_base={"REMOTE_ADDR": "10.0.0.9"}).get_json()["code"] == "validation-failed"


def test_disabled_account_loses_its_sessions_at_once(app: Flask, people: dict[str, Person]) -> None:
    volunteer = logged_in(app, people["volunteer"])
    assert volunteer.get("/api/v1/me").status_code == 200
    with app.app_context():
        accounts.set_status(get_db(), people["volunteer"].id, "disabled", 2)
    assert volunteer.get("/api/v1/me").status_code == 401
    again = Api(app.test_client()).login(people["volunteer"].email, people["volunteer"].passphrase)
    assert again.status_code == 403 and again.get_json()["code"] == "account-disabled"


def test_admin_disables_an_account_through_the_admin_page(app: Flask, people: dict[str, Person]) -> None:
    volunteer = logged_in(app, people["volunteer"])
    admin = logged_in(app, people["admin"])
    token = admin.client.get(f"/admin/people/{people['volunteer'].id}").get_data(as_text=True)
    csrf = token.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = admin.client.post(f"/admin/people/{people['volunteer'].id}/status",
                                 data={"csrf_token": csrf, "status": "disabled"})
    assert response.status_code == 302
    assert volunteer.get("/api/v1/me").status_code == 401


def test_session_ends_after_idle_timeout(app: Flask, people: dict[str, Person], clock: Clock) -> None:
    volunteer = logged_in(app, people["volunteer"])
    clock.advance(29 * 60)
    assert volunteer.get("/api/v1/me").status_code == 200
    clock.advance(29 * 60)
    assert volunteer.get("/api/v1/me").status_code == 200
    clock.advance(31 * 60)
    assert volunteer.get("/api/v1/me").status_code == 401


def test_session_ends_after_absolute_timeout_even_when_active(
        app: Flask, people: dict[str, Person], clock: Clock) -> None:
    volunteer = logged_in(app, people["volunteer"])
    for _ in range(12 * 4):
        clock.advance(15 * 60)
        volunteer.get("/api/v1/me")
    clock.advance(60)
    assert volunteer.get("/api/v1/me").status_code == 401


def test_a_person_ends_one_of_their_sessions(app: Flask, people: dict[str, Person]) -> None:
    phone = logged_in(app, people["volunteer"])
    laptop = logged_in(app, people["volunteer"])
    listed = laptop.get("/api/v1/me/sessions").get_json()["sessions"]
    assert len(listed) == 2
    other = next(s for s in listed if not s["current"])
    assert laptop.call("DELETE", f"/api/v1/me/sessions/{other['handle']}").status_code == 200
    assert phone.get("/api/v1/me").status_code == 401
    assert laptop.get("/api/v1/me").status_code == 200


def test_a_person_ends_all_their_sessions(app: Flask, people: dict[str, Person]) -> None:
    phone = logged_in(app, people["volunteer"])
    laptop = logged_in(app, people["volunteer"])
    assert laptop.post("/api/v1/me/sessions/end-all").get_json()["ended"] == 2
    assert phone.get("/api/v1/me").status_code == 401
    assert laptop.get("/api/v1/me").status_code == 401


def test_logout_ends_the_session_and_clears_the_site(app: Flask, people: dict[str, Person]) -> None:
    volunteer = logged_in(app, people["volunteer"])
    response = volunteer.post("/api/v1/auth/logout")
    assert response.status_code == 200
    assert '"cookies"' in response.headers["Clear-Site-Data"]
    assert volunteer.get("/api/v1/me").status_code == 401


def test_a_stolen_cookie_id_is_not_in_the_database(app: Flask, people: dict[str, Person]) -> None:
    volunteer = logged_in(app, people["volunteer"])
    cookie = volunteer.client.get_cookie(COOKIE_NAME).value
    with app.app_context():
        stored = [row[0] for row in get_db().execute("SELECT id_hash FROM sessions")]
    assert cookie not in stored and all(len(h) == 64 for h in stored)


@pytest.mark.parametrize("body,code", [
    ({"email": "volunteer@example.org"}, "validation-failed"),
    ({"email": "volunteer@example.org", "auth": "AAAA"}, "validation-failed"),
    ({"email": "volunteer@example.org", "auth": b64url_encode(bytes(32)), "passphrase": "x"}, "validation-failed"),
    (["not", "an", "object"], "validation-failed"),
])
def test_malformed_login_bodies_get_typed_problems(api: Api, body: object, code: str) -> None:
    response = api.post("/api/v1/auth/login", body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == code


def test_kdf_parameters_are_strengthened_at_login_without_re_enrolling(
        config: Config, people: dict[str, Person]) -> None:
    person = people["volunteer"]
    app = create_app(replace(config, kdf_iterations=700_000))
    api = Api(app.test_client())
    response = api.login(person.email, person.passphrase)
    offered = response.get_json()["kdf_upgrade"]
    assert offered["iterations"] == 700_000
    new_auth = derive_account_secrets(person.passphrase, KdfParams.from_json(offered)).auth
    assert api.post("/api/v1/me/kdf", {"auth": b64url_encode(new_auth)}).status_code == 200
    assert api.post("/api/v1/me/kdf", {"auth": b64url_encode(new_auth)}).status_code == 422
    fresh = Api(app.test_client())
    assert fresh.post("/api/v1/auth/params", {"email": person.email}).get_json()["kdf"] == offered
    assert fresh.post("/api/v1/auth/login", {"email": person.email, "auth": b64url_encode(new_auth)}).status_code == 200
    assert "kdf_upgrade" not in fresh.post("/api/v1/auth/login", {
        "email": person.email, "auth": b64url_encode(new_auth)}).get_json()
    assert Api(app.test_client()).login(person.email, person.passphrase).status_code == 401


def test_a_stronger_kdf_moves_the_escrowed_key_blob_with_it(config: Config, people: dict[str, Person]) -> None:
    person = people["volunteer"]
    app = create_app(replace(config, kdf_iterations=700_000))
    api = Api(app.test_client())
    old_kdf = KdfParams.from_json(api.post("/api/v1/auth/params", {"email": person.email}).get_json()["kdf"])
    old = derive_account_secrets(person.passphrase, old_kdf)
    assert api.login(person.email, person.passphrase).status_code == 200
    keys = generate_account_keys(b64url_decode(person.id))
    api.call("PUT", "/api/v1/me/keys", {"encryption_public": b64url_encode(keys.encryption_public),
                                        "signing_public": b64url_encode(keys.signing_public),
                                        "wrapped_private": b64url_encode(wrap_account_keys_with_kek(keys, old.kek))})
    offered = api.login(person.email, person.passphrase).get_json()["kdf_upgrade"]
    new = derive_account_secrets(person.passphrase, KdfParams.from_json(offered))
    refused = api.post("/api/v1/me/kdf", {"auth": b64url_encode(new.auth)})
    assert refused.status_code == 422 and "wrapped_private" in refused.get_json()["fields"]
    moved = rewrap_key_blob(wrap_account_keys_with_kek(keys, old.kek), old.kek, new.kek, owner_id=keys.user_id)
    assert api.post("/api/v1/me/kdf", {"auth": b64url_encode(new.auth),
                                       "wrapped_private": b64url_encode(moved)}).status_code == 200
    escrowed = b64url_decode(api.get("/api/v1/me/keys").get_json()["wrapped_private"])
    assert unwrap_account_keys_with_kek(escrowed, new.kek, user_id=keys.user_id).signing_public == keys.signing_public


def test_me_tells_team_members_their_teams_policy(app: Flask, people: dict[str, Person]) -> None:
    volunteer = logged_in(app, people["volunteer"])
    team = volunteer.get("/api/v1/me").get_json()["team"]
    assert team["name"] == "Prisons" and team["retention_days"] is None and team["rotation_days"] is None
    with app.app_context():
        accounts.set_team_policy(get_db(), team["id"], retention_days=0, rotation_days=90, now=2)
    team = volunteer.get("/api/v1/me").get_json()["team"]
    assert (team["retention_days"], team["rotation_days"]) == (0, 90)
    assert logged_in(app, people["auditor"]).get("/api/v1/me").get_json()["team"] is None


def change_body(api: Api, person: Person, new_passphrase: str, **overrides: object) -> tuple[dict, object, object]:
    """What the app sends to change a passphrase: the current auth, the new parameters and auth, and
    the escrowed account key blob moved from the current kek to the new one."""
    params = api.post("/api/v1/auth/params", {"email": person.email})
    assert params.status_code == 200, params.get_json()
    current_kdf = KdfParams.from_json(params.get_json()["kdf"])
    old = derive_account_secrets(person.passphrase, current_kdf)
    new_kdf = KdfParams(iterations=current_kdf.iterations, salt=os.urandom(16))
    new = derive_account_secrets(new_passphrase, new_kdf)
    body: dict = {"old_auth": b64url_encode(old.auth), "auth": b64url_encode(new.auth), "kdf": new_kdf.to_json()}
    escrow = api.get("/api/v1/me/keys")
    if escrow.status_code == 200:
        blob = b64url_decode(escrow.get_json()["wrapped_private"])
        body["wrapped_private"] = b64url_encode(rewrap_key_blob(blob, old.kek, new.kek, owner_id=b64url_decode(person.id)))
    body.update(overrides)
    return body, old, new


def test_a_passphrase_change_moves_auth_and_escrow_together(app: Flask, people: dict[str, Person]) -> None:
    person = people["volunteer"]
    api = logged_in(app, person)
    keys = generate_account_keys(b64url_decode(person.id))
    current_kdf = KdfParams.from_json(api.post("/api/v1/auth/params", {"email": person.email}).get_json()["kdf"])
    api.call("PUT", "/api/v1/me/keys", {"encryption_public": b64url_encode(keys.encryption_public),
                                        "signing_public": b64url_encode(keys.signing_public),
                                        "wrapped_private": b64url_encode(wrap_account_keys_with_kek(
                                            keys, derive_account_secrets(person.passphrase, current_kdf).kek))})
    elsewhere = logged_in(app, person)
    body, _old, new = change_body(api, person, "une toute nouvelle phrase secrète")
    changed = api.post("/api/v1/me/passphrase", body)
    assert changed.status_code == 200, changed.get_json()
    # The session that changed it goes on; one opened elsewhere with the old passphrase ends.
    assert api.get("/api/v1/me").status_code == 200
    assert elsewhere.get("/api/v1/me").status_code == 401
    assert changed.get_json()["kdf"] == body["kdf"]
    # A new device logs in with the new passphrase and opens the escrow with the new kek; the old fails.
    fresh = Api(app.test_client())
    assert fresh.post("/api/v1/auth/params", {"email": person.email}).get_json()["kdf"] == body["kdf"]
    assert fresh.post("/api/v1/auth/login", {"email": person.email, "auth": body["auth"]}).status_code == 200
    escrowed = b64url_decode(fresh.get("/api/v1/me/keys").get_json()["wrapped_private"])
    assert unwrap_account_keys_with_kek(escrowed, new.kek, user_id=keys.user_id).signing_public == keys.signing_public
    refused = Api(app.test_client()).post("/api/v1/auth/login", {"email": person.email, "auth": body["old_auth"]})
    assert refused.status_code == 401


@pytest.mark.parametrize("change,code,status", [
    ({"old_auth": b64url_encode(bytes(32))}, "passphrase-wrong", 403),
    ({"kdf": {"v": 1, "alg": "PBKDF2-HMAC-SHA256", "iterations": 1000, "salt": b64url_encode(bytes(16))}},
     "validation-failed", 422),
    ({"kdf": "not parameters"}, "validation-failed", 422),
    ({"auth": "AAAA"}, "validation-failed", 422),
    ({"wrapped_private": None}, "validation-failed", 422),
])
def test_a_passphrase_change_refuses_bad_input_and_changes_nothing(
        app: Flask, people: dict[str, Person], change: dict, code: str, status: int) -> None:
    person = people["volunteer"]
    api = logged_in(app, person)
    current_kdf = KdfParams.from_json(api.post("/api/v1/auth/params", {"email": person.email}).get_json()["kdf"])
    keys = generate_account_keys(b64url_decode(person.id))
    api.call("PUT", "/api/v1/me/keys", {"encryption_public": b64url_encode(keys.encryption_public),
                                        "signing_public": b64url_encode(keys.signing_public),
                                        "wrapped_private": b64url_encode(wrap_account_keys_with_kek(
                                            keys, derive_account_secrets(person.passphrase, current_kdf).kek))})
    body, _old, _new = change_body(api, person, "une toute nouvelle phrase secrète")
    body.update(change)
    body = {name: value for name, value in body.items() if value is not None}
    response = api.post("/api/v1/me/passphrase", body)
    assert (response.status_code, response.get_json()["code"]) == (status, code)
    assert response.mimetype == "application/problem+json"
    assert Api(app.test_client()).login(person.email, person.passphrase).status_code == 200


def test_a_passphrase_change_needs_a_session(app: Flask, people: dict[str, Person]) -> None:
    response = Api(app.test_client()).post("/api/v1/me/passphrase", {"old_auth": "x"})
    assert response.status_code in (401, 403)
