"""The protocol rules added after the outside verifier's findings, run by the browser's protocol
(static/js/protocol/) on the very bytes the Python reference refuses: a second reseal beside a
stubbed first (PROTOCOL 9, step 12), and grants to or writes by a revoked person (9.2)."""

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from crypto.encoding import b64url_encode
from crypto.roster import Status, sign_roster_entry_as_admin
from crypto.writer import add_member_as_coordinator, seal_entry_as_author, stub_of
from tests.attacks.test_reseal_stub import two_reseals_then_full
from tests.conftest import LiveServer
from tests.crypto.scenario import MINUTE, World, body, make_world, open_case, replay

# Runs in the page: verify a log, or replay one and offer an entry to checkNotRevoked.
VERIFY = """async ({ caseId, envelopes, association }) => {
  const P = await import("/static/js/protocol/index.js");
  const key = await P.importEd25519PublicKey(P.b64urlDecode(association));
  try {
    await P.verifyCaseLog(P.b64urlDecode(caseId), envelopes.map(P.b64urlDecode), key);
    return null;
  } catch (error) { return error.name; }
}"""
REVOKED = """async ({ caseId, envelopes, association, offered, roster }) => {
  const P = await import("/static/js/protocol/index.js");
  const key = await P.importEd25519PublicKey(P.b64urlDecode(association));
  const log = new P.CaseLog(P.b64urlDecode(caseId), key);
  for (const raw of envelopes) await log.append(P.b64urlDecode(raw));
  const entries = await Promise.all(roster.map((raw) => P.verifyRosterEntry(P.b64urlDecode(raw), key)));
  try {
    await P.checkNotRevoked(log, P.b64urlDecode(offered), P.revocationsOf(entries));
    return null;
  } catch (error) { return error.name; }
}"""


@pytest.fixture(scope="module")
def world() -> World:
    return make_world()


@pytest.fixture(scope="module")
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server.url + "/login")
    yield page
    context.close()


def b64s(items: list[bytes]) -> list[str]:
    return [b64url_encode(item) for item in items]


def verify_in_browser(page: Page, world: World, case_id: bytes, envelopes: list[bytes]) -> Any:
    return page.evaluate(VERIFY, {"caseId": b64url_encode(case_id), "envelopes": b64s(envelopes),
                                  "association": b64url_encode(world.association.public)})


def test_the_browser_refuses_a_second_reseal_beside_a_stubbed_first(page: Page, world: World) -> None:
    case_id, base, first, second, rotation = two_reseals_then_full(world)
    assert verify_in_browser(page, world, case_id, [*base, stub_of(first), second, rotation]) == "IncompleteLog"
    assert verify_in_browser(page, world, case_id, [*base, stub_of(first), stub_of(second), rotation]) is None


def test_the_browser_refuses_grants_to_and_writes_by_a_revoked_person(page: Page, world: World) -> None:
    case = open_case(world, members=("alice", "bob", "carol"), case_id=b"\x41" * 16)
    bob, carol, dan = world["bob"], world["carol"], world["dan"]
    at = case.clock + MINUTE
    revocations = [sign_roster_entry_as_admin(world.association, user_id=who.user_id, serial=2, role=who.roster.role,
                                              team_id=who.roster.team_id, encryption_public=who.keys.encryption_public,
                                              signing_public=who.keys.signing_public, status=Status.REVOKED, now=at)
                   for who in (bob, dan)]
    write = seal_entry_as_author(replay(world, case.envelopes, case.case_id), bob.keys, device_id=bob.device_id,
                                 case_key=case.keys[1], body_json=body("note", text="after"), now=at)
    grant = add_member_as_coordinator(replay(world, case.envelopes, case.case_id), carol.keys,
                                      device_id=carol.device_id, new_member=dan.roster, case_key=case.keys[1], now=at)
    before = seal_entry_as_author(replay(world, case.envelopes, case.case_id), bob.keys, device_id=bob.device_id,
                                  case_key=case.keys[1], body_json=body("note", text="before"), now=at - 1)
    for offered, expected in ((write, "RevokedUser"), (grant, "RevokedUser"), (before, None)):
        found = page.evaluate(REVOKED, {"caseId": b64url_encode(case.case_id), "envelopes": b64s(case.envelopes),
                                        "association": b64url_encode(world.association.public),
                                        "offered": b64url_encode(offered), "roster": b64s([r.raw for r in revocations])})
        assert found == expected
