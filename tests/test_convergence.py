"""Every honest device converges, whatever the order of events (issue 12; docs/PROTOCOL.md 8.12, 9.1).

A hypothesis state machine drives five devices (tests/model/device.py) against the server's
real push and pull functions on a real SQLCipher database: volunteers alice (devices A1, and A2
under a retention policy) and bob (B1), coordinators carol (C1) and dan (D1), both rotating on
schedule every 7 days. Rules: offline writes (each body a unique canary text), pushes, pulls
and syncs of any device in any order, add, remove and re-add of volunteers, on-demand and
scheduled rotations, full re-encryption (a FULL rotation or removal, then reseals made a few at
a time, resumed later), refused pushes (a removed member's offline write), replays of earlier
batches, retention (A2 drops fully confirmed cases and later fetches one whole), re-sending or
discarding refused entries, a pull served with one damaged envelope (set-aside, then repair),
and a hostile member pushing a lone stub, a Lamport clock past the bound (and one at it) and a
time two days ahead.

Invariants after every step: nothing a device does raises (every step runs the real code);
every stored log passes the acceptance rule's checks and no stored time is more than a day past
its arrival; every text is stored once (a RESEAL holds its original's text); every device's
confirmed part is a prefix of the server's log; removed members recover no key of an epoch
made at or after their removal, from their device or from the whole stored log; every canary
is on the server, pending or refused on its device, or discarded by its person. The ``settle``
rule (and the end of each run) syncs every device twice, repairs, opens and finishes full
re-encryptions, then checks that every current member's device holds exactly the server's log
and that all of them read the same texts.

Profiles: ``CARNET_CONVERGENCE_PROFILE=ci`` (default: max_examples=60, stateful_step_count=40,
deadline=None, derandomize=True, database=None; about 45 s on the two-core machine; printed
when it runs) and ``long`` (1000 examples of up to 50 steps; ``bench/convergence.py`` runs it
and records the result in docs/BENCHMARKS.md). ``CARNET_CONVERGENCE_EXAMPLES=N`` and
``CARNET_CONVERGENCE_RANDOM=1`` explore further by hand.

**A deliberately broken rule.** ``test_a_broken_acceptance_rule_is_caught`` replaces the
server's acceptance rule by a bare ``CaseLog.append`` (no stub check, no clock window), as
``monkeypatch.setattr(sync.cases, "accept_entry_with_roster", lambda log, raw, roster, now_ms: log.append(raw))``,
and asserts that the machine finds a failing sequence within its CI budget. To see it by hand,
set ``CARNET_BREAK_RULE=stub`` when running this module: the main test then runs with the rule
broken and fails, printing the shrunk sequence.
"""

import atexit
import functools
import os
import secrets
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

import sync.cases
from crypto.acceptance import MAX_CLOCK_AHEAD_MS, replay_stored_log
from crypto.caselog import MAX_LAMPORT_STEP, CaseLog
from crypto.control import RemoveMember
from crypto.encoding import b64url_decode
from crypto.entry import Kind, open_entry_body, parse_entry
from crypto.keys import AssociationKey, generate_account_keys, generate_association_key, new_id
from crypto.roster import Role, sign_roster_entry_as_admin
from sync import directory
from sync.db import connect
from sync import accounts
from webapp.config import Config
from webapp.database import initialise_database

from tests.conftest import Clock
from tests.crypto.scenario import Person as Writer
from tests.crypto.scenario import craft
from tests.helpers import TEST_PARAMS
from tests.model.device import Device, Server, body_of, text_of

pytestmark = pytest.mark.slow

PROFILES = {
    "ci": dict(max_examples=60, stateful_step_count=40),
    "long": dict(max_examples=1000, stateful_step_count=50),
}
PROFILE = os.environ.get("CARNET_CONVERGENCE_PROFILE", "ci")
# CARNET_CONVERGENCE_EXAMPLES overrides the profile's number of examples, and
# CARNET_CONVERGENCE_RANDOM=1 draws them at random instead of from the fixed seed.
CHOSEN = {**PROFILES[PROFILE], **({"max_examples": int(os.environ["CARNET_CONVERGENCE_EXAMPLES"])}
                                  if os.environ.get("CARNET_CONVERGENCE_EXAMPLES") else {})}
SETTINGS = settings(deadline=None, database=None, derandomize=not os.environ.get("CARNET_CONVERGENCE_RANDOM"),
                    print_blob=False, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
                    **CHOSEN)  # type: ignore[arg-type]
PEOPLE = {"alice": "volunteer", "bob": "volunteer", "carol": "coordinator", "dan": "coordinator"}
DEVICES = {"A1": "alice", "A2": "alice", "B1": "bob", "C1": "carol", "D1": "dan"}
VOLUNTEERS = ["alice", "bob"]
COORDINATORS = ["C1", "D1"]
ROTATION_DAYS = 7
MAX_CASES = 3


@dataclass
class Member:
    keys: object
    roster: object
    caller: dict


@functools.cache
def template() -> tuple[Path, bytes, AssociationKey, dict[str, Member]]:
    """A server database with its association, team and people, made once: each run of the
    machine starts from a copy (migrating a new file for each would cost more than the run)."""
    folder = Path(tempfile.mkdtemp(prefix="carnet-convergence-template-"))
    config = Config(instance_path=folder, database_key=secrets.token_bytes(32), secret_key=secrets.token_bytes(32),
                    testing=True)
    initialise_database(config)
    association = generate_association_key()
    people: dict[str, Member] = {}
    conn = connect(config.database_path, config.database_key)
    try:
        team = accounts.create_team(conn, "Prisons", 1)
        admin = accounts.create_user(conn, email="admin@example.org", display_name="admin", role="admin",
                                     team_id=None, kdf=TEST_PARAMS, auth_hash="unused", now=1)
        directory.set_up_association(conn, admin, association.public, b"\1" * 83, now=1)
        for name, role in PEOPLE.items():
            user_id = accounts.create_user(conn, email=f"{name}@example.org", display_name=name, role=role,
                                           team_id=team, kdf=TEST_PARAMS, auth_hash="unused", now=1)
            keys = generate_account_keys(b64url_decode(user_id))
            roster = sign_roster_entry_as_admin(
                association, user_id=keys.user_id, serial=1, role=Role[role.upper()], team_id=b64url_decode(team),
                encryption_public=keys.encryption_public, signing_public=keys.signing_public)
            people[name] = Member(keys, roster, {"id": user_id, "role": role, "team_id": team})
    finally:
        conn.close()
    atexit.register(shutil.rmtree, folder, True)
    return config.database_path, config.database_key, association, people


class World:
    """A fresh server (a copy of the template database) and a settable clock, for one run."""

    def __init__(self) -> None:
        path, key, self.association, self.people = template()
        self.folder = Path(tempfile.mkdtemp(prefix="carnet-convergence-"))
        shutil.copy(path, self.folder / path.name)
        self.clock = Clock()
        self.server = Server(self.folder / path.name, key, self.clock)

    def close(self) -> None:
        self.server.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class Convergence(RuleBasedStateMachine):
    # The broken-rule check turns this off: the invariants alone must then find the fault.
    check_refusal_codes = True

    def __init__(self) -> None:
        super().__init__()
        self.world = World()
        self.server = self.world.server
        self.devices = {
            name: Device(name, self.world.people[person].keys, self.world.people[person].roster,
                         self.world.people[person].caller, self.server, self.world.association.public_key,
                         retention=name == "A2", rotation_days=ROTATION_DAYS if person in ("carol", "dan") else None)
            for name, person in DEVICES.items()}
        self.cases: list[bytes] = []
        self.canaries: dict[str, str] = {}  # text -> device that typed it
        self.hostile_texts: set[str] = set()
        self.counter = 0

    def teardown(self) -> None:
        try:
            # At the end of a run that did not fail already, everyone settles and must agree.
            if sys.exc_info()[0] is None:
                self.settle()
        finally:
            self.world.close()

    # Helpers.

    def text(self, prefix: str = "canary") -> str:
        self.counter += 1
        return f"{prefix}-{self.counter}"

    def case(self, index: int) -> bytes:
        return self.cases[index % len(self.cases)]

    def member(self, name: str) -> Member:
        return self.world.people[name]

    def server_log(self, case_id: bytes) -> CaseLog:
        log, broken = replay_stored_log(case_id, [raw for raw, _ in self.server.stored(case_id)],
                                        self.world.association.public_key)
        assert broken is None, f"the server stored a log that fails verification: {broken!r}"
        return log

    # Rules: writing, offline.

    @initialize(device=st.sampled_from(list(DEVICES)))
    def first_case(self, device: str) -> None:
        """One case every device holds, so the run starts where work happens."""
        self.open_case(device, with_other=True)
        self.sync_all()

    @precondition(lambda self: len(self.cases) < MAX_CASES)
    @rule(device=st.sampled_from(list(DEVICES)), with_other=st.booleans())
    def open_case(self, device: str, with_other: bool) -> None:
        d = self.devices[device]
        members = {d.user_id: d.roster}
        for name in ("carol", "dan") + (("alice", "bob") if with_other else ()):
            members[self.member(name).keys.user_id] = self.member(name).roster
        self.cases.append(d.open_case(members.values()))

    @precondition(lambda self: self.cases)
    @rule(device=st.sampled_from(list(DEVICES)), index=st.integers(0, MAX_CASES - 1), count=st.integers(1, 2))
    def write(self, device: str, index: int, count: int) -> None:
        self.write_offline(device, index, count)

    def write_offline(self, device: str, index: int, count: int) -> bytes | None:
        """Writes in the first case from ``index`` on that this device may write to; which one."""
        d = self.devices[device]
        case_id = next((self.case(index + i) for i in range(len(self.cases)) if d.can_write(self.case(index + i))), None)
        for _ in range(count if case_id else 0):
            text = self.text()
            d.write(case_id, text)
            self.canaries[text] = device
        return case_id

    @precondition(lambda self: self.cases)
    @rule(device=st.sampled_from(["A1", "A2", "B1"]), coordinator=st.sampled_from(COORDINATORS),
          index=st.integers(0, MAX_CASES - 1))
    def removed_while_offline(self, device: str, coordinator: str, index: int) -> None:
        """A volunteer writes offline while a coordinator removes them; their push is refused."""
        case_id = self.write_offline(device, index, 1)
        c, volunteer = self.devices[coordinator], self.member(DEVICES[device])
        if case_id and c.can_write(case_id) and volunteer.keys.user_id in c.view(c.cases[case_id]).state.members:
            c.remove(case_id, volunteer.keys.user_id)
            c.sync()
        self.devices[device].push()

    def add(self, coordinator: str, index: int, volunteer: str) -> None:
        c, case_id, who = self.devices[coordinator], self.case(index), self.member(volunteer)
        if c.can_write(case_id) and who.keys.user_id not in c.view(c.cases[case_id]).state.members:
            c.add(case_id, who.roster)

    def remove(self, coordinator: str, index: int, volunteer: str, full: bool) -> None:
        c, case_id, who = self.devices[coordinator], self.case(index), self.member(volunteer)
        if c.can_write(case_id) and who.keys.user_id in c.view(c.cases[case_id]).state.members:
            c.remove(case_id, who.keys.user_id, full=full)

    def rotate(self, coordinator: str, index: int, full: bool) -> None:
        c = self.devices[coordinator]
        if c.can_write(self.case(index)):
            c.rotate(self.case(index), full=full)

    def reseal(self, coordinator: str, index: int, count: int) -> None:
        """A full re-encryption goes on a few entries at a time, and may stop anywhere."""
        c = self.devices[coordinator]
        if c.can_write(self.case(index)):
            c.reseal(self.case(index), count)

    @precondition(lambda self: self.cases)
    @rule(coordinator=st.sampled_from(COORDINATORS),
          action=st.sampled_from(["add", "remove", "remove fully", "rotate", "rotate fully", "reseal"]),
          index=st.integers(0, MAX_CASES - 1), volunteer=st.sampled_from(VOLUNTEERS), count=st.integers(1, 3))
    def coordinator_acts(self, coordinator: str, action: str, index: int, volunteer: str, count: int) -> None:
        if action == "add":
            self.add(coordinator, index, volunteer)
        elif action.startswith("remove"):
            self.remove(coordinator, index, volunteer, full=action.endswith("fully"))
        elif action.startswith("rotate"):
            self.rotate(coordinator, index, full=action.endswith("fully"))
        else:
            self.reseal(coordinator, index, count)

    @precondition(lambda self: self.cases)
    @rule(action=st.sampled_from(["write", "write", "push", "pull", "pull", "sync", "coordinator", "coordinator",
                                  "refused"]),
          device=st.sampled_from(list(DEVICES)), coordinator=st.sampled_from(COORDINATORS),
          what=st.sampled_from(["add", "remove", "remove fully", "rotate", "rotate fully", "reseal"]),
          index=st.integers(0, MAX_CASES - 1), volunteer=st.sampled_from(VOLUNTEERS))
    def everyday(self, action: str, device: str, coordinator: str, what: str, index: int, volunteer: str) -> None:
        """The common steps again in one rule, so that hypothesis's swarm testing (which turns
        whole rules off for a run) never leaves a run without writes, syncs or coordination."""
        if action == "write":
            self.write_offline(device, index, 1)
        elif action == "refused":
            self.refused_entry(device, resend=index > 0)
        elif action == "coordinator":
            self.coordinator_acts(coordinator, what, index, volunteer, 2)
        else:
            self.syncs(device, action)

    @precondition(lambda self: self.cases)
    @rule(device=st.sampled_from(["A1", "A2", "B1"]), coordinator=st.sampled_from(COORDINATORS),
          index=st.integers(0, MAX_CASES - 1))
    def added_again_and_resent(self, device: str, coordinator: str, index: int) -> None:
        """A coordinator adds a removed volunteer again; their device syncs and sends again what
        was refused while they were away."""
        c, d, case_id = self.devices[coordinator], self.devices[device], self.case(index)
        self.add(coordinator, index, DEVICES[device])
        c.sync()
        d.sync()
        record = d.cases.get(case_id)
        while record is not None and record.refused and d.can_write(case_id):
            d.resend_refused(case_id)

    @rule(hours=st.sampled_from([1, 20, 24 * ROTATION_DAYS + 1]))
    def time_passes(self, hours: int) -> None:
        self.world.clock.advance(hours * 3600)

    # Rules: syncing.

    @rule(device=st.sampled_from(list(DEVICES)), action=st.sampled_from(["push", "pull", "sync"]))
    def syncs(self, device: str, action: str) -> None:
        getattr(self.devices[device], action)()

    @rule(device=st.sampled_from(list(DEVICES)), which=st.integers(0, 10))
    def replay(self, device: str, which: int) -> None:
        """The same envelopes pushed again (a retry after a lost answer): nothing new is stored."""
        d = self.devices[device]
        if d.pushed:
            batch = d.pushed[which % len(d.pushed)]
            results = self.server.push(d.caller, batch)
            assert all(r.status != "stored" for r in results), results

    @rule()
    def settle(self) -> None:
        """Every device syncs twice, repairs what it set aside, opens what it let go, and the
        coordinators finish any full re-encryption; then all members agree with the server."""
        self.server.tamper_next_pull.clear()  # Faults end here: what is served from now on is whole.
        self.sync_all()
        for d in self.devices.values():
            for case_id, record in list(d.cases.items()):
                if record.set_aside is not None:
                    d.fetch_whole(case_id)
            for case_id in self.server.listed_cases(d.caller):
                if case_id not in d.cases:
                    assert d.fetch_whole(case_id)
        for _ in range(10):
            resealer = next(((c, case_id) for c in (self.devices[n] for n in COORDINATORS) for case_id in c.cases
                             if c.can_write(case_id) and c.to_reseal(case_id)), None)
            if resealer is None:
                break
            resealer[0].reseal(resealer[1], 1000)
            self.sync_all()
        self.sync_all()
        self.check_agreement()

    def sync_all(self) -> None:
        for _ in range(2):
            for d in self.devices.values():
                d.sync()

    # Rules: retention, refused entries, faults.

    @rule(index=st.integers(-1, MAX_CASES - 1))
    def retention(self, index: int) -> None:
        """A2 lets go of its fully confirmed cases (index -1), or opens one online again."""
        d = self.devices["A2"]
        if index < 0 or not self.cases:
            d.apply_retention()
            return
        case_id = self.case(index)
        if case_id not in d.cases and case_id in self.server.listed_cases(d.caller):
            assert d.fetch_whole(case_id)

    @rule(device=st.sampled_from(list(DEVICES)), resend=st.booleans())
    def refused_entry(self, device: str, resend: bool) -> None:
        """The person sends a refused entry again (once a member again) or discards it."""
        d = self.devices[device]
        for case_id, record in d.cases.items():
            if record.refused:
                if resend and d.can_write(case_id):
                    d.resend_refused(case_id)
                elif not resend:
                    d.discard_refused(case_id)
                return

    @rule(device=st.sampled_from(list(DEVICES)), repair=st.booleans())
    def damage_or_repair(self, device: str, repair: bool) -> None:
        """The next pull of this person gets one envelope with a flipped byte (its case is set
        aside), or the device repairs what it set aside."""
        d = self.devices[device]
        if not repair:
            self.server.tamper_next_pull.add(d.caller["id"])
            return
        for case_id, record in list(d.cases.items()):
            if record.set_aside is not None:
                d.fetch_whole(case_id)

    # Rules: a hostile member, pushing what no honest device writes.

    def hostile(self, index: int, volunteer: str, **overrides: object) -> tuple[object, str] | None:
        """A volunteer who is a member crafts a CONTENT entry on the stored log, on a device of its own."""
        if not self.cases:
            return None
        case_id = self.case(index)
        if not self.server.stored(case_id):
            return None
        log = self.server_log(case_id)
        who = self.member(volunteer)
        if who.keys.user_id not in log.state.members:
            return None
        key = log.recover_case_keys_as_member(who.keys)[log.state.epoch]
        text = self.text("hostile")
        fields: dict[str, object] = {"time": self.server.now() * 1000, **overrides}
        raw = craft(log, Writer(volunteer, who.keys, who.roster, new_id()), Kind.CONTENT, case_key=key,
                    body_json=body_of(text), **fields)
        return raw, text

    def push_hostile(self, volunteer: str, raws: list[bytes], codes: list[str | None]) -> None:
        results = self.server.push(self.member(volunteer).caller, raws)
        if self.check_refusal_codes:
            assert [r.code for r in results] == codes, results

    @rule(attack=st.sampled_from(["stub", "stub then whole", "lamport at bound", "lamport past bound", "time"]),
          index=st.integers(0, MAX_CASES - 1), volunteer=st.sampled_from(VOLUNTEERS))
    def hostile_push(self, attack: str, index: int, volunteer: str) -> None:
        """A lone stub, a Lamport clock past the bound (or at it) or a time two days ahead: refused
        with its reason, or stored (at the bound, or the whole entry after its stub) harmlessly."""
        if not self.cases or not self.server.stored(self.case(index)):
            return
        overrides: dict[str, object] = {}
        if attack.startswith("lamport"):
            top = self.server_log(self.case(index)).max_lamport + MAX_LAMPORT_STEP
            overrides["lamport"] = top + (attack == "lamport past bound")
        if attack == "time":
            overrides["time"] = (self.server.now() + 2 * 86_400) * 1000
        crafted = self.hostile(index, volunteer, **overrides)
        if crafted is None:
            return
        raw, text = crafted
        if attack.startswith("stub"):
            self.push_hostile(volunteer, [parse_entry(raw).stub().to_bytes()], ["IncompleteLog"])
        if attack in ("stub then whole", "lamport at bound"):
            self.push_hostile(volunteer, [raw], [None])
            self.hostile_texts.add(text)
        elif attack != "stub":
            self.push_hostile(volunteer, [raw], [{"lamport past bound": "CounterOutOfRange",
                                                   "time": "ClockOutOfRange"}[attack]])

    # Invariants.

    @invariant()
    def after_every_step(self) -> None:
        """Checked after every step (each stored log replayed once for all of them)."""
        logs = {case_id: (self.server.stored(case_id), self.server_log(case_id)) for case_id in self.server.case_ids()}
        texts = self.the_server_holds_each_text_once(logs)
        for d in self.devices.values():
            for case_id, record in d.cases.items():
                stored = [raw for raw, _ in logs[case_id][0]] if case_id in logs else []
                assert record.confirmed == stored[:len(record.confirmed)], f"{d.name}: confirmed is not the server's"
        for text, device in self.canaries.items():
            assert text in texts or text in self.devices[device].waiting_texts(), f"{text} typed on {device} is lost"
        self.removed_members_recover_no_later_key({case_id: log for case_id, (_, log) in logs.items()})

    def the_server_holds_each_text_once(self, logs: dict[bytes, tuple[list[tuple[bytes, int]], CaseLog]]) -> set[str]:
        """Every stored log verifies, no time is more than a day past its arrival, and every text
        is in one CONTENT entry (a RESEAL holds its original's text): read with carol's keys."""
        texts: dict[bytes, str] = {}
        for stored, log in logs.values():
            for raw, received in stored:
                assert parse_entry(raw).header.time <= received * 1000 + MAX_CLOCK_AHEAD_MS, \
                    "the server stored a time more than a day past its arrival"
            keys = log.recover_case_keys_as_member(self.member("carol").keys)
            for v in log.entries:
                header = v.entry.header
                if header.kind not in (Kind.CONTENT, Kind.RESEAL) or header.epoch not in keys:
                    continue
                assert v.entry.body is not None
                text = text_of(open_entry_body(header, v.entry.body, keys[header.epoch]))
                if v.ref is not None:
                    assert texts[v.ref] == text, "a reseal holds another text than its original"
                else:
                    assert text not in texts.values(), f"{text} is stored twice"
                    texts[v.hash] = text
        return set(texts.values())

    def removed_members_recover_no_later_key(self, logs: dict[bytes, CaseLog]) -> None:
        """A volunteer removed (and not added again) recovers no key of the epoch their removal
        made or any later one, from the whole stored log or from what their devices hold."""
        for case_id, log in logs.items():
            for name in VOLUNTEERS:
                who = self.member(name)
                if who.keys.user_id in log.state.members:
                    continue
                removals = [log.states[v.base].epoch for v in log.entries
                            if isinstance(v.payload, RemoveMember) and v.payload.user_id == who.keys.user_id]
                if not removals:
                    continue
                assert max(log.recover_case_keys_as_member(who.keys), default=0) < removals[-1]
                for d in self.devices.values():
                    if d.user_id == who.keys.user_id and case_id in d.cases:
                        assert max(d.cases[case_id].keys, default=0) < removals[-1], f"{d.name} holds a later key"

    def check_agreement(self) -> None:
        for case_id in self.server.case_ids():
            stored = [raw for raw, _ in self.server.stored(case_id)]
            log = self.server_log(case_id)
            seen: dict[str, set[str]] = {}
            for d in self.devices.values():
                record = d.cases.get(case_id)
                if d.user_id in log.state.members:
                    assert record is not None, f"{d.name} lacks a case it is a member of"
                    assert record.set_aside is None, f"{d.name} set the case aside: {record.set_aside}"
                    assert record.removed_at is None and not record.pending and not record.outbox
                    assert record.confirmed == stored, f"{d.name} differs from the server"
                    seen[d.name] = d.confirmed_texts(case_id)
                elif record is not None:
                    assert record.removed_at is not None and not record.pending, f"{d.name} missed its removal"
            assert len({frozenset(texts) for texts in seen.values()}) == 1, f"members read different texts: {seen}"
        for d in self.devices.values():
            for case_id, record in d.cases.items():
                assert not record.pending or record.set_aside, f"{d.name} still has pending entries"


def print_settings(capsys: pytest.CaptureFixture[str], name: str, used: settings) -> None:
    """The settings in force, on the terminal even when output is captured (CI's log shows them)."""
    with capsys.disabled():
        print(f"\n{name}: profile {PROFILE!r}, max_examples={used.max_examples}, "
              f"stateful_step_count={used.stateful_step_count}, deadline={used.deadline}, "
              f"derandomize={used.derandomize}, database={used.database}", flush=True)


@pytest.mark.timeout(300 if CHOSEN == PROFILES["ci"] else 0)
def test_every_honest_device_converges(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    print_settings(capsys, "convergence", SETTINGS)
    if os.environ.get("CARNET_BREAK_RULE") == "stub":
        monkeypatch.setattr(sync.cases, "accept_entry_with_roster", lambda log, raw, roster, now_ms: log.append(raw))
        monkeypatch.setattr(Convergence, "check_refusal_codes", False)
    run_state_machine_as_test(Convergence, settings=SETTINGS)


class BrokenRule(Convergence):
    check_refusal_codes = False


def test_a_broken_acceptance_rule_is_caught(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """With the server storing whatever its verifier appends (no stub check, no clock window),
    the machine finds a failing sequence within the CI budget, by its invariants alone."""
    broken = settings(SETTINGS, max_examples=PROFILES["ci"]["max_examples"],
                      stateful_step_count=PROFILES["ci"]["stateful_step_count"],
                      report_multiple_bugs=False, phases=(Phase.explicit, Phase.generate, Phase.shrink))
    print_settings(capsys, "broken rule", broken)
    monkeypatch.setattr(sync.cases, "accept_entry_with_roster", lambda log, raw, roster, now_ms: log.append(raw))
    with pytest.raises(AssertionError) as failure:
        run_state_machine_as_test(BrokenRule, settings=broken)
    found = str(failure.value)
    assert any(sign in found for sign in ("fails verification", "more than a day", "set the case aside")), found
