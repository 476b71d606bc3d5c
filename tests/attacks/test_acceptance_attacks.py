"""Attacks on what a server accepts into a case log (docs/PROTOCOL.md 9.1): a member's lone stub,
a Lamport clock past the bound, a time past the clock window. Each test fails without its defence
(checked by removing it: the stub and clock checks of ``accept_entry``, the Lamport bound of
``CaseLog.append``)."""

import pytest

from crypto.acceptance import MAX_CLOCK_AHEAD_MS, accept_entry, replay_stored_log
from crypto.caselog import MAX_LAMPORT_STEP, verify_case_log
from crypto.entry import Kind, parse_entry
from crypto.errors import ClockOutOfRange, CounterOutOfRange, IncompleteLog
from crypto.writer import remove_member_as_coordinator, seal_entry_as_author
from tests.crypto.scenario import T0, Case, World, body, craft, replay, seed

NOW = T0 + 3_600_000


def honest_writers_go_on(world: World, case: Case, envelopes: list[bytes]) -> None:
    """After what was accepted, alice still writes and carol can still remove her."""
    server = replay(world, envelopes)
    alice, carol = world["alice"], world["carol"]
    view = replay(world, envelopes)
    accept_entry(server, seal_entry_as_author(view, alice.keys, device_id=alice.device_id, case_key=case.keys[3],
                                              body_json=body("note", text="still here"), now=NOW), now_ms=NOW)
    removal, _key = remove_member_as_coordinator(view, carol.keys, device_id=carol.device_id, user_id=alice.user_id,
                                                 case_key=case.keys[3], now=NOW)
    accept_entry(server, removal, now_ms=NOW)


def test_a_members_lone_stub_is_refused_and_the_log_stays_whole(world: World, standard: Case) -> None:
    # Given alice, a member, who pushes only the stub of a new content entry: a RESEAL always
    # follows the entry it names, so nothing could ever account for that stub.
    log = replay(world, standard.envelopes)
    whole = craft(log, world["alice"], Kind.CONTENT, case_key=standard.keys[3], body_json=body("note", text="x"),
                  device_id=seed("alice's other phone", 16), time=NOW)
    stub = parse_entry(whole).stub().to_bytes()
    before = len(log.entries)
    with pytest.raises(IncompleteLog):
        accept_entry(log, stub, now_ms=NOW)
    assert len(log.entries) == before
    # Stored anyway, it would make every reader refuse the case, and the auditor's replay flags it.
    with pytest.raises(IncompleteLog):
        verify_case_log(standard.case_id, [*standard.envelopes, stub], world.association.public_key)
    _log, broken = replay_stored_log(standard.case_id, [*standard.envelopes, stub], world.association.public_key)
    assert isinstance(broken, IncompleteLog)
    # The whole entry under the same id is then accepted, and honest writers go on.
    accept_entry(log, whole, now_ms=NOW)
    honest_writers_go_on(world, standard, [*standard.envelopes, whole])


def test_a_lamport_clock_past_the_bound_is_refused_and_at_the_bound_accepted(world: World, standard: Case) -> None:
    # Given a member who sets a Lamport clock far ahead, every honest writer after it steps from
    # there: at 2**53 - 1 none could write again. The bound caps the step over the log.
    log = replay(world, standard.envelopes)
    alice = world["alice"]
    past = craft(log, alice, Kind.CONTENT, case_key=standard.keys[3], body_json=body("note", text="far"),
                 lamport=log.max_lamport + MAX_LAMPORT_STEP + 1, time=NOW)
    for append in (lambda raw: accept_entry(log, raw, now_ms=NOW), log.append):
        with pytest.raises(CounterOutOfRange):
            append(past)
    at = craft(log, alice, Kind.CONTENT, case_key=standard.keys[3], body_json=body("note", text="near"),
               lamport=log.max_lamport + MAX_LAMPORT_STEP, time=NOW)
    accept_entry(log, at, now_ms=NOW)
    honest_writers_go_on(world, standard, [*standard.envelopes, at])
    # The highest value of the field itself is refused the same way.
    top = craft(replay(world, standard.envelopes), alice, Kind.CONTENT, case_key=standard.keys[3],
                body_json=body("note", text="top"), lamport=2**53 - 1, time=NOW)
    with pytest.raises(CounterOutOfRange):
        verify_case_log(standard.case_id, [*standard.envelopes, top], world.association.public_key)


def test_a_time_past_the_clock_window_is_refused_and_at_its_edge_accepted(world: World, standard: Case) -> None:
    # Given a member who dates an entry two days ahead (or a millisecond past one day): the
    # receiving server refuses it; one day ahead, a phone's clock set wrongly, is accepted.
    log = replay(world, standard.envelopes)
    alice = world["alice"]
    for ahead in (MAX_CLOCK_AHEAD_MS + 1, 2 * MAX_CLOCK_AHEAD_MS):
        late = craft(log, alice, Kind.CONTENT, case_key=standard.keys[3], body_json=body("note", text="later"),
                     time=NOW + ahead)
        with pytest.raises(ClockOutOfRange):
            accept_entry(log, late, now_ms=NOW)
    edge = craft(log, alice, Kind.CONTENT, case_key=standard.keys[3], body_json=body("note", text="edge"),
                 time=NOW + MAX_CLOCK_AHEAD_MS)
    accept_entry(log, edge, now_ms=NOW)
    # Earlier times are accepted: devices push days after writing.
    old = craft(log, alice, Kind.CONTENT, case_key=standard.keys[3], body_json=body("note", text="old"),
                time=NOW - 30 * MAX_CLOCK_AHEAD_MS)
    accept_entry(log, old, now_ms=NOW)
    honest_writers_go_on(world, standard, [*standard.envelopes, edge, old])
