"""The key directory API: association key, account keys and their escrow, the signed roster."""

import pytest
from flask import Flask

from crypto import roster
from crypto.encoding import b64url_decode, b64url_encode
from crypto.keys import (
    association_fingerprint,
    generate_account_keys,
    generate_association_key,
    unwrap_association_key_with_kek,
    wrap_account_keys_with_kek,
    wrap_association_key_with_kek,
)

from tests.helpers import Api, Person, logged_in, secrets_for

ASSOCIATION = generate_association_key(seed=bytes(range(32)))


def publish_keys(api: Api, person: Person):
    keys = generate_account_keys(b64url_decode(person.id))
    blob = wrap_account_keys_with_kek(keys, secrets_for(person.passphrase).kek)
    response = api.call("PUT", "/api/v1/me/keys", {
        "encryption_public": b64url_encode(keys.encryption_public),
        "signing_public": b64url_encode(keys.signing_public), "wrapped_private": b64url_encode(blob)})
    return response, keys, blob


def set_up_association(admin: Api, person: Person):
    blob = wrap_association_key_with_kek(ASSOCIATION, b64url_decode(person.id), secrets_for(person.passphrase).kek)
    return admin.post("/api/v1/association", {"public_key": b64url_encode(ASSOCIATION.public),
                                              "wrapped_key": b64url_encode(blob)})


def sign(person: Person, keys, *, serial: int = 1, role=roster.Role.VOLUNTEER, team: bytes | None = None,
         association=ASSOCIATION) -> bytes:
    return sign_entry(association, person.id, keys, serial=serial, role=role, team=team).raw


def sign_entry(association, user_id: str, keys, *, serial: int, role, team: bytes | None):
    return roster.sign_roster_entry_as_admin(
        association, user_id=b64url_decode(user_id), serial=serial, role=role,
        team_id=team if team is not None else roster.NO_TEAM,
        encryption_public=keys.encryption_public, signing_public=keys.signing_public)


@pytest.fixture
def admin(app: Flask, people: dict[str, Person]) -> Api:
    return logged_in(app, people["admin"])


@pytest.fixture
def volunteer(app: Flask, people: dict[str, Person]) -> Api:
    return logged_in(app, people["volunteer"])


def team_of(api: Api) -> bytes:
    return b64url_decode(api.get("/api/v1/me").get_json()["person"]["team_id"])


def test_association_key_is_set_up_once_and_published_with_its_fingerprint(
        admin: Api, volunteer: Api, people: dict[str, Person]) -> None:
    assert volunteer.get("/api/v1/association").get_json()["code"] == "association-missing"
    assert set_up_association(admin, people["admin"]).status_code == 201
    published = volunteer.get("/api/v1/association").get_json()
    assert b64url_decode(published["fingerprint"]) == association_fingerprint(ASSOCIATION.public)
    assert len(published["spoken"].split()) == 6
    assert set_up_association(admin, people["admin"]).get_json()["code"] == "association-exists"
    escrow = b64url_decode(admin.get("/api/v1/association/escrow").get_json()["wrapped_key"])
    opened = unwrap_association_key_with_kek(escrow, secrets_for(people["admin"].passphrase).kek,
                                             admin_id=b64url_decode(people["admin"].id))
    assert opened.public == ASSOCIATION.public


def test_a_person_publishes_keys_once_and_gets_the_escrow_back(volunteer: Api, people: dict[str, Person]) -> None:
    response, keys, blob = publish_keys(volunteer, people["volunteer"])
    assert response.status_code == 201
    mine = volunteer.get("/api/v1/me/keys").get_json()
    assert b64url_decode(mine["wrapped_private"]) == blob
    assert b64url_decode(mine["encryption_public"]) == keys.encryption_public
    again, _, _ = publish_keys(volunteer, people["volunteer"])
    assert again.status_code == 409 and again.get_json()["code"] == "keys-exist"


def test_invalid_public_keys_are_refused(volunteer: Api) -> None:
    response = volunteer.call("PUT", "/api/v1/me/keys", {
        "encryption_public": b64url_encode(bytes(32)), "signing_public": b64url_encode(bytes(32)),
        "wrapped_private": b64url_encode(b"x" * 83)})
    assert response.status_code == 422 and response.get_json()["code"] == "invalid-key"
    assert volunteer.get("/api/v1/me/keys").get_json()["code"] == "keys-missing"


def test_admin_signs_a_roster_entry_and_everyone_sees_it(admin: Api, volunteer: Api,
                                                         people: dict[str, Person]) -> None:
    set_up_association(admin, people["admin"])
    _, keys, _ = publish_keys(volunteer, people["volunteer"])
    raw = sign(people["volunteer"], keys, team=team_of(volunteer))
    assert admin.post("/api/v1/roster", {"entry": b64url_encode(raw)}).status_code == 201
    listed = {p["user_id"]: p for p in volunteer.get("/api/v1/directory").get_json()["people"]}
    mine = listed[people["volunteer"].id]
    assert b64url_decode(mine["roster"]) == raw
    assert b64url_decode(mine["keys"]["fingerprint"]) == keys.fingerprint()
    assert listed[people["coordinator"].id]["keys"] is None


def test_roster_entries_the_server_can_tell_are_wrong_are_refused(admin: Api, volunteer: Api,
                                                                  people: dict[str, Person]) -> None:
    person = people["volunteer"]
    _, keys, _ = publish_keys(volunteer, person)
    team = team_of(volunteer)
    good = sign(person, keys, team=team)
    assert admin.post("/api/v1/roster", {"entry": b64url_encode(good)}).get_json()["code"] == "association-missing"
    set_up_association(admin, people["admin"])
    forged = sign(person, keys, team=team, association=generate_association_key())
    tampered = good[:-1] + bytes([good[-1] ^ 1])
    wrong_role = sign(person, keys, role=roster.Role.COORDINATOR, team=team)
    other_keys = sign(person, generate_account_keys(b64url_decode(person.id)), team=team)
    for raw, code in ((forged, "roster-invalid"), (tampered, "roster-invalid"), (b"CNR", "roster-invalid"),
                      (wrong_role, "roster-mismatch"), (other_keys, "roster-mismatch")):
        response = admin.post("/api/v1/roster", {"entry": b64url_encode(raw)})
        assert response.get_json()["code"] == code, code
    assert admin.post("/api/v1/roster", {"entry": b64url_encode(good)}).status_code == 201
    replayed = admin.post("/api/v1/roster", {"entry": b64url_encode(good)})
    assert replayed.status_code == 409 and replayed.get_json()["code"] == "roster-stale"
    assert volunteer.post("/api/v1/roster", {"entry": b64url_encode(good)}).status_code == 403
