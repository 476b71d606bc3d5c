"""The second factor (WebAuthn and recovery codes) through the real Flask app, on SQLCipher and
PostgreSQL: the login's pending state, first registration, use, failures, recovery codes, one's
own factors, the admin's reset, the team policy and enrolment under it."""

import copy
from typing import Any

import pytest
from flask import Flask

from crypto.audit import Action
from crypto.encoding import b64url_decode, b64url_encode
from sync import accounts, factors
from webapp.config import config_of
from webapp.database import get_db

from tests.conftest import Clock
from tests.helpers import ORIGIN, Api, Person, auth_for, logged_in
from tests.soft_authenticator import SoftAuthenticator
from tests.test_auth import enrol, make_invitation


def actions(app: Flask) -> list[Action]:
    with app.app_context():
        return [Action(row["action"]) for row in get_db().execute("SELECT action FROM audit_log ORDER BY seq")]


def client_from(app: Flask, address: str = "127.0.0.1") -> Api:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return Api(client)


def start_login(app: Flask, person: Person, address: str = "127.0.0.1") -> tuple[Api, dict[str, Any]]:
    """A new client past the passphrase: the pending answer."""
    api = client_from(app, address)
    response = api.post("/api/v1/auth/login", {"email": person.email, "auth": auth_for(person.passphrase)})
    assert response.status_code == 200, response.get_json()
    return api, response.get_json()


def register_first(api: Api, authenticator: SoftAuthenticator, name: str = "My phone") -> Any:
    options = api.post("/api/v1/auth/second-factor/register-options")
    assert options.status_code == 200, options.get_json()
    return api.post("/api/v1/auth/second-factor/register",
                    {"name": name, "credential": authenticator.register(options.get_json()["options"])})


def set_team_second_factor(app: Flask, on: bool) -> None:
    with app.app_context():
        conn = get_db()
        team = accounts.team_by_name(conn, "Prisons")
        accounts.set_team_policy(conn, team, retention_days=None, rotation_days=None, now=2, second_factor=on)


def test_an_admin_with_the_passphrase_alone_is_not_logged_in(app: Flask, people: dict[str, Person]) -> None:
    api, answer = start_login(app, people["admin"])
    assert "person" not in answer and answer["second_factor"]["registered"] is True
    options = answer["second_factor"]["options"]
    assert options["userVerification"] == "required" and options["rpId"] == "localhost"
    assert [c["id"] for c in options["allowCredentials"]] == [b64url_encode(people["admin"].authenticator.credential_id)]
    assert api.get("/api/v1/me").status_code == 401
    assert api.get("/admin/").status_code == 302
    assert Action.LOGIN not in actions(app) and actions(app)[-1] == Action.SECOND_FACTOR_PENDING


def test_the_credential_completes_the_login(app: Flask, people: dict[str, Person]) -> None:
    api, answer = start_login(app, people["admin"])
    done = api.post("/api/v1/auth/second-factor",
                    {"credential": people["admin"].authenticator.assert_(answer["second_factor"]["options"])})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["person"]["role"] == "admin" and done.get_json()["csrf_token"]
    assert api.get("/api/v1/me").get_json()["person"]["email"] == people["admin"].email
    assert actions(app)[-2:] == [Action.FACTOR_USED, Action.LOGIN]
    factor = api.get("/api/v1/me/factors").get_json()
    assert factor["required"] is True and factor["factors"][0]["last_used_at"] is not None


def test_volunteers_log_in_as_before_without_a_team_policy(app: Flask, people: dict[str, Person]) -> None:
    _api, answer = start_login(app, people["volunteer"])
    assert answer["person"]["role"] == "volunteer" and "second_factor" not in answer


def test_a_used_challenge_is_refused(app: Flask, people: dict[str, Person]) -> None:
    admin = people["admin"]
    api, answer = start_login(app, admin)
    credential = admin.authenticator.assert_(answer["second_factor"]["options"])
    assert api.post("/api/v1/auth/second-factor", {"credential": credential}).status_code == 200
    # The same answer again, in a new pending login (a new challenge) and in the spent session.
    replayed = api.post("/api/v1/auth/second-factor", {"credential": credential})
    assert replayed.status_code == 400 and replayed.get_json()["code"] == "second-factor-not-pending"
    again, _answer = start_login(app, admin)
    refused = again.post("/api/v1/auth/second-factor", {"credential": admin.authenticator.assert_(answer["second_factor"]["options"])})
    assert refused.status_code == 401 and refused.get_json()["code"] == "second-factor-failed"


def test_a_failed_try_ends_the_pending_state(app: Flask, people: dict[str, Person]) -> None:
    admin = people["admin"]
    api, answer = start_login(app, admin)
    options = answer["second_factor"]["options"]
    assert api.post("/api/v1/auth/second-factor", {"recovery_code": "aaaa-bbbb-cccc"}).status_code == 401
    second = api.post("/api/v1/auth/second-factor", {"credential": admin.authenticator.assert_(options)})
    assert second.get_json()["code"] == "second-factor-not-pending"


def test_a_wrong_signature_is_refused_audited_and_throttled(app: Flask, people: dict[str, Person],
                                                           clock: Clock) -> None:
    admin = people["admin"]
    impostor = SoftAuthenticator(ORIGIN, credential_id=admin.authenticator.credential_id,
                                 user_handle=admin.authenticator.user_handle)
    config = config_of(app)

    def impostor_try(address: str) -> Any:
        api, answer = start_login(app, admin, address)
        return api.post("/api/v1/auth/second-factor", {"credential": impostor.assert_(answer["second_factor"]["options"])})

    # From a new address each time: what is counted here is the account's count.
    for attempt in range(config.login_slow_after):
        refused = impostor_try(f"10.0.0.{attempt}")
        assert refused.status_code == 401 and refused.get_json()["code"] == "second-factor-failed"
        assert refused.get_json()["type"] == "urn:carnet:problem:second-factor-failed"
    assert actions(app).count(Action.FACTOR_FAILED) == config.login_slow_after
    assert Action.LOGIN not in actions(app)
    # The failures count as a wrong passphrase's do: the next attempt waits.
    slowed = client_from(app, "10.0.1.1").post("/api/v1/auth/login", {"email": admin.email,
                                                                       "auth": auth_for(admin.passphrase)})
    assert slowed.status_code == 429 and slowed.get_json()["code"] == "login-throttled"
    # The right passphrase in between does not clear the second factor's failures: one more
    # failure, and the wait has doubled.
    clock.advance(60)
    assert impostor_try("10.0.1.2").status_code == 401
    clock.advance(1)
    again = client_from(app, "10.0.1.3").post("/api/v1/auth/login", {"email": admin.email,
                                                                      "auth": auth_for(admin.passphrase)})
    assert again.status_code == 429
    # A complete login clears them.
    clock.advance(60)
    api, answer = start_login(app, admin, "10.0.1.4")
    assert api.post("/api/v1/auth/second-factor",
                    {"credential": admin.authenticator.assert_(answer["second_factor"]["options"])}).status_code == 200
    with app.app_context():
        assert get_db().execute("SELECT count(*) FROM login_throttle WHERE key = ?",
                                (accounts.throttle_keys(admin.email, "10.0.1.4")[0],)).fetchone()[0] == 0


def test_a_sign_count_that_does_not_grow_is_refused(app: Flask, people: dict[str, Person]) -> None:
    admin = people["admin"]
    api, answer = start_login(app, admin)
    assert api.post("/api/v1/auth/second-factor",
                    {"credential": admin.authenticator.assert_(answer["second_factor"]["options"])}).status_code == 200
    used = admin.authenticator.sign_count
    api, answer = start_login(app, admin)
    cloned = api.post("/api/v1/auth/second-factor",
                      {"credential": admin.authenticator.assert_(answer["second_factor"]["options"], count=used)})
    assert cloned.status_code == 401 and cloned.get_json()["code"] == "second-factor-failed"


def test_another_persons_credential_is_refused(app: Flask, people: dict[str, Person]) -> None:
    api, answer = start_login(app, people["admin"])
    other = api.post("/api/v1/auth/second-factor",
                     {"credential": people["auditor"].authenticator.assert_(answer["second_factor"]["options"])})
    assert other.status_code == 401


def test_no_pending_state_no_second_factor(app: Flask, api: Api) -> None:
    refused = api.post("/api/v1/auth/second-factor", {"recovery_code": "aaaa-bbbb-cccc"})
    assert refused.status_code == 400 and refused.get_json()["code"] == "second-factor-not-pending"
    assert api.post("/api/v1/auth/second-factor/register-options").get_json()["code"] == "second-factor-not-pending"


def test_the_pending_state_expires_after_five_minutes(app: Flask, people: dict[str, Person], clock: Clock) -> None:
    api, answer = start_login(app, people["admin"])
    clock.advance(5 * 60 + 1)
    late = api.post("/api/v1/auth/second-factor",
                    {"credential": people["admin"].authenticator.assert_(answer["second_factor"]["options"])})
    assert late.status_code == 400 and late.get_json()["code"] == "second-factor-not-pending"


def reset_by_api(app: Flask, admin: Person, user_id: str) -> None:
    response = logged_in(app, admin).post(f"/api/v1/admin/people/{user_id}/factors/reset")
    assert response.status_code == 204, response.get_json()


def test_a_first_authenticator_is_registered_after_the_passphrase(app: Flask, people: dict[str, Person]) -> None:
    auditor = people["auditor"]
    reset_by_api(app, people["admin"], auditor.id)
    api, answer = start_login(app, auditor)
    assert answer["second_factor"] == {"registered": False, "options": None}
    options = api.post("/api/v1/auth/second-factor/register-options").get_json()["options"]
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["authenticatorSelection"]["residentKey"] == "preferred" and options["attestation"] == "none"
    assert [p["alg"] for p in options["pubKeyCredParams"]] == [-7, -8, -257]
    assert options["rp"] == {"id": "localhost", "name": "Carnet"} and options["excludeCredentials"] == []
    fresh = SoftAuthenticator(ORIGIN)
    done = api.post("/api/v1/auth/second-factor/register",
                    {"name": "Security key", "credential": fresh.register(options)})
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["person"]["id"] == auditor.id and len(body["recovery_codes"]) == 10
    assert len(set(body["recovery_codes"])) == 10
    assert actions(app)[-3:] == [Action.FACTOR_REGISTERED, Action.RECOVERY_CODES_RENEWED, Action.LOGIN]
    # From now on that credential is the second factor.
    api, answer = start_login(app, auditor)
    assert api.post("/api/v1/auth/second-factor",
                    {"credential": fresh.assert_(answer["second_factor"]["options"])}).status_code == 200


def test_registering_without_the_pending_state_or_with_a_factor_is_refused(app: Flask, people: dict[str, Person]) -> None:
    api, _answer = start_login(app, people["admin"])
    # The admin has a credential: no trust on first use for them.
    refused = api.post("/api/v1/auth/second-factor/register-options")
    assert refused.status_code == 400 and refused.get_json()["code"] == "second-factor-not-pending"
    refused = api.post("/api/v1/auth/second-factor/register",
                       {"name": "x", "credential": SoftAuthenticator(ORIGIN).register(
                           {"rp": {"id": "localhost"}, "user": {"id": "AA"}, "challenge": "AA"})})
    assert refused.status_code == 400


def test_a_registration_for_another_origin_is_refused(app: Flask, people: dict[str, Person]) -> None:
    auditor = people["auditor"]
    reset_by_api(app, people["admin"], auditor.id)
    api, _answer = start_login(app, auditor)
    options = api.post("/api/v1/auth/second-factor/register-options").get_json()["options"]
    phished = api.post("/api/v1/auth/second-factor/register",
                       {"name": "key", "credential": SoftAuthenticator("https://carnet.example.net").register(options)})
    assert phished.status_code == 401 and phished.get_json()["code"] == "second-factor-failed"
    assert actions(app)[-1] == Action.FACTOR_FAILED


def codes_of(app: Flask, admin: Person) -> tuple[Api, list[str]]:
    api = logged_in(app, admin)
    response = api.post("/api/v1/me/recovery-codes")
    assert response.status_code == 200
    return api, response.get_json()["recovery_codes"]


def test_a_recovery_code_works_once(app: Flask, people: dict[str, Person]) -> None:
    admin = people["admin"]
    me, codes = codes_of(app, admin)
    assert me.get("/api/v1/me/factors").get_json()["recovery_codes_left"] == 10
    api, _answer = start_login(app, admin)
    done = api.post("/api/v1/auth/second-factor", {"recovery_code": codes[0].upper().replace("-", " ")})
    assert done.status_code == 200, done.get_json()
    assert actions(app)[-2:] == [Action.RECOVERY_CODE_USED, Action.LOGIN]
    assert api.get("/api/v1/me/factors").get_json()["recovery_codes_left"] == 9
    api, _answer = start_login(app, admin)
    again = api.post("/api/v1/auth/second-factor", {"recovery_code": codes[0]})
    assert again.status_code == 401 and again.get_json()["code"] == "second-factor-failed"


def test_new_recovery_codes_end_the_old_ones(app: Flask, people: dict[str, Person]) -> None:
    admin = people["admin"]
    _me, old = codes_of(app, admin)
    _me, new = codes_of(app, admin)
    assert not set(old) & set(new)
    api, _answer = start_login(app, admin)
    assert api.post("/api/v1/auth/second-factor", {"recovery_code": old[1]}).status_code == 401
    api, _answer = start_login(app, admin)
    assert api.post("/api/v1/auth/second-factor", {"recovery_code": new[1]}).status_code == 200


def test_recovery_codes_are_stored_hashed(app: Flask, people: dict[str, Person]) -> None:
    _me, codes = codes_of(app, people["admin"])
    with app.app_context():
        conn = get_db()
        dump = " ".join(str(v) for table in ("recovery_codes", "sessions", "audit_log")
                        for row in conn.execute(f"SELECT * FROM {table}") for v in tuple(row))
        hashes = {row["hash"] for row in conn.execute("SELECT hash FROM recovery_codes")}
    for code in codes:
        assert code not in dump and code.replace("-", "") not in dump
    assert hashes == {factors.hash_code(c) for c in codes}


def test_a_person_manages_their_own_factors(app: Flask, people: dict[str, Person]) -> None:
    api = logged_in(app, people["volunteer"])
    listed = api.get("/api/v1/me/factors").get_json()
    assert listed == {"factors": [], "recovery_codes_left": 0, "required": False}
    options = api.post("/api/v1/me/factors/options").get_json()["options"]
    key = SoftAuthenticator(ORIGIN)
    added = api.post("/api/v1/me/factors", {"name": "Téléphone", "credential": key.register(options)})
    assert added.status_code == 201, added.get_json()
    factor = added.get_json()["factor"]
    assert factor["name"] == "Téléphone" and factor["transports"] == ["internal"]
    assert len(added.get_json()["recovery_codes"]) == 10
    # The credential is excluded from the next options; a second one brings no new codes.
    options = api.post("/api/v1/me/factors/options").get_json()["options"]
    assert [c["id"] for c in options["excludeCredentials"]] == [b64url_encode(key.credential_id)]
    second = api.post("/api/v1/me/factors", {"name": "Clé", "credential": SoftAuthenticator(ORIGIN).register(options)})
    assert second.status_code == 201 and "recovery_codes" not in second.get_json()
    # The same options once more: the challenge was spent.
    spent = api.post("/api/v1/me/factors", {"name": "Clé", "credential": SoftAuthenticator(ORIGIN).register(options)})
    assert spent.status_code == 422 and spent.get_json()["code"] == "factor-invalid"
    assert len(api.get("/api/v1/me/factors").get_json()["factors"]) == 2
    removed = api.call("DELETE", f"/api/v1/me/factors/{factor['id']}")
    assert removed.status_code == 204
    assert [f["name"] for f in api.get("/api/v1/me/factors").get_json()["factors"]] == ["Clé"]
    assert api.call("DELETE", f"/api/v1/me/factors/{factor['id']}").status_code == 404
    assert Action.FACTOR_REMOVED in actions(app)


def test_the_same_authenticator_cannot_be_registered_twice(app: Flask, people: dict[str, Person]) -> None:
    api = logged_in(app, people["admin"])
    options = api.post("/api/v1/me/factors/options").get_json()["options"]
    again = api.post("/api/v1/me/factors", {"name": "again",
                                            "credential": people["admin"].authenticator.register(options)})
    assert again.status_code == 409 and again.get_json()["code"] == "factor-exists"


def test_the_last_factor_a_policy_requires_stays(app: Flask, people: dict[str, Person]) -> None:
    api = logged_in(app, people["admin"])
    only = api.get("/api/v1/me/factors").get_json()["factors"][0]
    refused = api.call("DELETE", f"/api/v1/me/factors/{only['id']}")
    assert refused.status_code == 409 and refused.get_json()["code"] == "last-factor-required"
    assert len(api.get("/api/v1/me/factors").get_json()["factors"]) == 1


def test_an_admin_reset_ends_the_persons_sessions(app: Flask, people: dict[str, Person]) -> None:
    auditor = people["auditor"]
    victim = logged_in(app, auditor)
    assert victim.get("/api/v1/me").status_code == 200
    codes_of(app, auditor)
    reset_by_api(app, people["admin"], auditor.id)
    assert victim.get("/api/v1/me").status_code == 401
    assert actions(app)[-2:] == [Action.FACTORS_RESET, Action.SESSIONS_ENDED]
    with app.app_context():
        conn = get_db()
        assert factors.list_factors(conn, auditor.id) == [] and factors.recovery_codes_left(conn, auditor.id) == 0
    _api, answer = start_login(app, auditor)
    assert answer["second_factor"]["registered"] is False


def test_the_admin_page_resets_factors(app: Flask, people: dict[str, Person]) -> None:
    admin = logged_in(app, people["admin"])
    page = admin.get(f"/admin/people/{people['auditor'].id}").get_data(as_text=True)
    assert "Test key" in page and "Réinitialiser les clés de sécurité" in page
    victim = logged_in(app, people["auditor"])
    response = admin.client.post(f"/admin/people/{people['auditor'].id}/factors/reset",
                                 data={"csrf_token": admin.token}, follow_redirects=True)
    assert response.status_code == 200
    assert "Clés de sécurité réinitialisées" in response.get_data(as_text=True)
    assert victim.get("/api/v1/me").status_code == 401
    assert Action.FACTORS_RESET in actions(app)


def test_only_admins_reset_factors(app: Flask, people: dict[str, Person]) -> None:
    coordinator = logged_in(app, people["coordinator"])
    refused = coordinator.post(f"/api/v1/admin/people/{people['auditor'].id}/factors/reset")
    assert refused.status_code == 403
    assert logged_in(app, people["admin"]).post("/api/v1/admin/people/nobody/factors/reset").status_code == 404


def test_a_team_policy_switches_volunteers_on(app: Flask, people: dict[str, Person]) -> None:
    set_team_second_factor(app, True)
    volunteer = people["volunteer"]
    api, answer = start_login(app, volunteer)
    assert answer["second_factor"]["registered"] is False
    done = register_first(api, SoftAuthenticator(ORIGIN))
    assert done.status_code == 200 and done.get_json()["person"]["role"] == "volunteer"
    me = api.get("/api/v1/me").get_json()
    assert me["team"]["second_factor"] is True
    assert api.get("/api/v1/me/factors").get_json()["required"] is True
    set_team_second_factor(app, False)
    assert start_login(app, volunteer)[1]["person"]["role"] == "volunteer"


def test_enrolment_under_the_policy_registers_the_first_authenticator(app: Flask) -> None:
    token = make_invitation(app, role="coordinator")
    set_team_second_factor(app, True)
    api = Api(app.test_client())
    response, _auth = enrol(api, token)
    assert response.status_code == 200
    assert response.get_json()["second_factor"] == {"registered": False, "options": None}
    assert api.get("/api/v1/me").status_code == 401
    done = register_first(api, SoftAuthenticator(ORIGIN))
    assert done.status_code == 200 and done.get_json()["person"]["email"] == "new@example.org"
    assert api.get("/api/v1/me").status_code == 200


def test_malformed_second_factor_bodies_get_typed_problems(app: Flask, people: dict[str, Person]) -> None:
    api, answer = start_login(app, people["admin"])
    for body in ({}, {"credential": "x"}, {"recovery_code": 5}, {"credential": {}, "recovery_code": "a"}):
        assert api.post("/api/v1/auth/second-factor", body).status_code == 422
    broken = copy.deepcopy(people["admin"].authenticator.assert_(answer["second_factor"]["options"]))
    broken["response"]["authenticatorData"] = "AA"
    refused = api.post("/api/v1/auth/second-factor", {"credential": broken})
    assert refused.status_code == 401 and refused.get_json()["code"] == "second-factor-failed"
    assert b64url_decode(broken["rawId"]) == people["admin"].authenticator.credential_id


def test_the_admin_team_form_sets_and_shows_the_policy(app: Flask, people: dict[str, Person]) -> None:
    admin = logged_in(app, people["admin"])
    page = admin.get("/admin/teams").get_data(as_text=True)
    # The pages speak French first.
    assert "se connectent avec une clé de sécurité" in page and "pas de clé de sécurité exigée" in page
    created = admin.client.post("/admin/teams", data={"csrf_token": admin.token, "name": "Accueil", "retention": "",
                                                      "rotation": "", "second_factor": "y"}, follow_redirects=True)
    assert created.status_code == 200 and "Accueil</bdi> —" in created.get_data(as_text=True)
    with app.app_context():
        conn = get_db()
        assert accounts.team_policy(conn, accounts.team_by_name(conn, "Accueil"))["second_factor"] is True
        assert accounts.team_policy(conn, accounts.team_by_name(conn, "Prisons"))["second_factor"] is False
