"""A demo association for audit tests: two teams, several cases, rotations and removals, each
entry written with the reference protocol and pushed through the real sync API."""

import json
import os
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Flask

from crypto.caselog import CaseLog
from crypto.encoding import b64url_decode, b64url_encode
from crypto.keys import (
    AccountKeys,
    AssociationKey,
    generate_account_keys,
    generate_association_key,
    wrap_account_keys_with_kek,
    wrap_association_key_with_kek,
)
from crypto.roster import NO_TEAM, RosterEntry, sign_roster_entry_as_admin
from crypto.writer import (
    add_member_as_coordinator,
    create_case_as_member,
    remove_member_as_coordinator,
    rotate_case_key_as_coordinator,
    seal_entry_as_author,
)
from sync import directory
from sync import accounts
from webapp.database import get_db

from tests.helpers import TEST_PARAMS, Api, Person, auth_hash_for, logged_in, register_soft_credential, secrets_for

PASSPHRASE = "audit demo passphrase for every test person"
CANARY = "CANARY-7f3e-never-on-the-wire-to-an-auditor"
PEOPLE = (("admin", "admin", None), ("auditor", "auditor", None),
          ("coord-p", "coordinator", "Prisons"), ("vol-p1", "volunteer", "Prisons"), ("vol-p2", "volunteer", "Prisons"),
          ("coord-v", "coordinator", "Violences"), ("vol-v1", "volunteer", "Violences"),
          ("vol-v2", "volunteer", "Violences"))


@dataclass
class Member:
    person: Person
    keys: AccountKeys
    roster: RosterEntry
    device: bytes = field(default_factory=lambda: os.urandom(16))
    api: Api | None = None


@dataclass
class Demo:
    app: Flask
    members: dict[str, Member]
    association: AssociationKey
    logs: list[tuple[CaseLog, dict[int, bytes]]] = field(default_factory=list)

    def push(self, name: str, envelopes: list[bytes]) -> None:
        member = self.members[name]
        if member.api is None:
            member.api = logged_in(self.app, member.person)
        response = member.api.post("/api/v1/sync/push", {"entries": [b64url_encode(e) for e in envelopes]})
        results = response.get_json()["results"]
        assert [r["status"] for r in results] == ["stored"] * len(envelopes), results

    def write(self, log: CaseLog, keys: dict[int, bytes], name: str, notes: str) -> None:
        member = self.members[name]
        body = json.dumps({"type": "edit", "fields": {"notes": notes}}).encode()
        self.push(name, [seal_entry_as_author(log, member.keys, device_id=member.device,
                                              case_key=keys[log.state.epoch], body_json=body)])


def enrol_people(app: Flask, association: AssociationKey, now: int = 1_800_000_000) -> dict[str, Member]:
    """People with keys and signed roster entries, as their apps and the admin's would make them."""
    kek = secrets_for(PASSPHRASE).kek
    members: dict[str, Member] = {}
    with app.app_context():
        conn = get_db()
        teams = {name: accounts.create_team(conn, name, now) for name in ("Prisons", "Violences")}
        for name, role, team in PEOPLE:
            user_id = accounts.create_user(conn, email=f"{name}@audit.test", display_name=name, role=role,
                                           team_id=teams[team] if team else None, kdf=TEST_PARAMS,
                                           auth_hash=auth_hash_for(PASSPHRASE), now=now)
            keys = generate_account_keys(b64url_decode(user_id))
            if role == "admin":
                directory.set_up_association(conn, user_id, association.public,
                                             wrap_association_key_with_kek(association, keys.user_id, kek), now)
            directory.store_account_keys(conn, user_id, directory.AccountPublicKeys(
                keys.encryption_public, keys.signing_public), wrap_account_keys_with_kek(keys, kek), now)
            entry = sign_roster_entry_as_admin(
                association, user_id=keys.user_id, serial=1, role=directory.ROLE_CODES[role],
                team_id=b64url_decode(teams[team]) if team else NO_TEAM, encryption_public=keys.encryption_public,
                signing_public=keys.signing_public, now=now * 1000)
            directory.accept_roster_entry(conn, entry.raw, members["admin"].person.id if members else user_id, now)
            # Admins and auditors log in with a second factor (tests.helpers.Api.login gives it).
            authenticator = register_soft_credential(conn, user_id, f"{name}@audit.test", now) \
                if role in ("admin", "auditor") else None
            members[name] = Member(Person(user_id, f"{name}@audit.test", role, PASSPHRASE, authenticator), keys, entry)
    return members


def build_demo(app: Flask) -> Demo:
    """Per team: a case with an addition, a rotation and a removal; a second, quieter case."""
    association = generate_association_key()
    demo = Demo(app, enrol_people(app, association), association)
    with app.app_context():
        association = directory.association_public_key(get_db())
    key = Ed25519PublicKey.from_public_bytes(association)
    for team in ("p", "v"):
        coordinator, first, second = demo.members[f"coord-{team}"], f"vol-{team}1", f"vol-{team}2"
        volunteer = demo.members[first]
        case = create_case_as_member(volunteer.keys, association_key=key, team_id=volunteer.roster.team_id,
                                     device_id=volunteer.device, members=[volunteer.roster, coordinator.roster])
        log, keys = case.log, {1: case.case_key}
        demo.push(first, [case.envelope])
        demo.write(log, keys, first, f"intake {team} {CANARY}")
        demo.push(f"coord-{team}", [add_member_as_coordinator(log, coordinator.keys, device_id=coordinator.device,
                                                              new_member=demo.members[second].roster,
                                                              case_key=keys[1])])
        demo.write(log, keys, second, "a second volunteer's note")
        envelope, keys[2] = rotate_case_key_as_coordinator(log, coordinator.keys, device_id=coordinator.device,
                                                           case_key=keys[1])
        demo.push(f"coord-{team}", [envelope])
        demo.write(log, keys, first, "written in epoch 2")
        envelope, keys[3] = remove_member_as_coordinator(log, coordinator.keys, device_id=coordinator.device,
                                                         user_id=volunteer.keys.user_id, case_key=keys[2])
        demo.push(f"coord-{team}", [envelope])
        demo.write(log, keys, second, "after the removal")
        demo.logs.append((log, keys))
        quiet = create_case_as_member(coordinator.keys, association_key=key, team_id=coordinator.roster.team_id,
                                      device_id=coordinator.device, members=[coordinator.roster])
        demo.push(f"coord-{team}", [quiet.envelope])
        demo.write(quiet.log, {1: quiet.case_key}, f"coord-{team}", "a coordinator's own case")
    return demo
