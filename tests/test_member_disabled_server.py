"""Leaving means leaving, at the server (docs/PROTOCOL.md 9.1; issue 22): a GENESIS or ADD that
grants a case to a disabled account is refused with `member-disabled`, a disabled person's own
push is refused by authentication, and a volunteer may share a case with a coordinator."""

from flask import Flask

from crypto.writer import add_member_as_coordinator, create_case_as_member, remove_member_as_coordinator
from sync import accounts
from webapp.database import get_db

from tests.test_keys_api import ASSOCIATION
from tests.test_sync import Member, new_case, push, stored_count, world

__all__ = ["world"]


def disable(app: Flask, member: Member) -> None:
    with app.app_context():
        accounts.set_status(get_db(), member.person.id, "disabled", 2)


def result(member: Member, envelope: bytes) -> tuple[str, str | None]:
    answer = push(member.api, [envelope]).get_json()["results"][0]
    return answer["status"], answer.get("code")


def test_a_removed_then_disabled_person_cannot_be_added_back(app: Flask, world: dict[str, Member]) -> None:
    case, envelopes = new_case(world)
    assert [r["status"] for r in push(world["volunteer"].api, envelopes).get_json()["results"]] == ["stored"] * 2
    coordinator, volunteer = world["coordinator"], world["volunteer"]
    removal, key = remove_member_as_coordinator(case.log, coordinator.keys, device_id=coordinator.device,
                                                user_id=volunteer.keys.user_id, case_key=case.case_key)
    assert result(coordinator, removal) == ("stored", None)
    disable(app, volunteer)
    readd = add_member_as_coordinator(case.log, coordinator.keys, device_id=coordinator.device,
                                      new_member=volunteer.entry, case_key=key)
    assert result(coordinator, readd) == ("rejected", "member-disabled")
    assert stored_count(app) == 3
    with app.app_context():
        current = get_db().execute("SELECT 1 FROM case_members WHERE user_id = ? AND left_seq IS NULL",
                                   (volunteer.person.id,)).fetchone()
    assert current is None


def test_a_case_is_not_opened_for_a_disabled_person_and_they_push_nothing(app: Flask,
                                                                          world: dict[str, Member]) -> None:
    coordinator, volunteer = world["coordinator"], world["volunteer"]
    disable(app, volunteer)
    case = create_case_as_member(coordinator.keys, association_key=ASSOCIATION.public_key,
                                 team_id=coordinator.entry.team_id, device_id=coordinator.device,
                                 members=[coordinator.entry, volunteer.entry])
    assert result(coordinator, case.envelope) == ("rejected", "member-disabled")
    _own, envelopes = new_case(world)
    assert push(volunteer.api, envelopes).status_code in (401, 403)
    assert stored_count(app) == 0


def test_a_volunteer_shares_a_case_with_the_teams_coordinator(app: Flask, world: dict[str, Member]) -> None:
    volunteer, coordinator = world["volunteer"], world["coordinator"]
    case = create_case_as_member(volunteer.keys, association_key=ASSOCIATION.public_key,
                                 team_id=volunteer.entry.team_id, device_id=volunteer.device,
                                 members=[volunteer.entry])
    assert result(volunteer, case.envelope) == ("stored", None)
    grant = add_member_as_coordinator(case.log, volunteer.keys, device_id=volunteer.device,
                                      new_member=coordinator.entry, case_key=case.case_key)
    assert result(volunteer, grant) == ("stored", None)
    assert coordinator.api.get("/api/v1/sync/cases").get_json()["cases"][0]["entry_count"] == 2
