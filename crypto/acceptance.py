"""The acceptance rule: what a server may add to a case log (docs/PROTOCOL.md 9.1).

A server stores an entry only if every honest client would accept the log with it, and an
honest writer could still append after it. Most of that is the verifier's own rules, which
``CaseLog.append`` runs (including the bound on the Lamport clock, so no entry leaves writers
without a next value). Two more hold only at the moment an entry is offered:

- completeness: a RESEAL always follows the entry it names, so a stub offered as a new entry
  can never be accounted for, and every reader would refuse the log (9, step 12);
- time: the entry's time lies within a window of the receiver's clock, so no entry dates the
  case into a future that outlives every honest device.

The server calls ``accept_entry_with_roster`` for every pushed entry; clients and verifiers run the same
``CaseLog.append`` and ``check_complete``; the auditor's inventory runs ``replay_stored_log``.

A case log pins each member's roster entry when they are granted, and a revocation is a later
roster entry the log never holds. ``check_not_revoked`` (PROTOCOL 9.2) takes the revocations the
caller knows from the roster and refuses a grant to, or a write by, a person revoked before it.
"""

from collections.abc import Callable, Iterable, Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from crypto.caselog import CaseLog, VerifiedEntry
from crypto.control import AddMember, Genesis, entry_payload
from crypto.entry import Entry, Kind, parse_entry
from crypto.errors import BrokenChain, CarnetCryptoError, ClockOutOfRange, IncompleteLog, RevokedUser
from crypto.roster import RosterEntry, Status

# A phone's clock may run ahead of the server's; a day covers time zones set wrongly and drift.
MAX_CLOCK_AHEAD_MS = 24 * 3600 * 1000


def accept_entry(log: CaseLog, raw: bytes | Entry, *, now_ms: int) -> VerifiedEntry:
    """Append one offered entry (its bytes, or parsed) to ``log``, or raise without changing it."""
    entry = as_entry(raw)
    check_offered(entry, now_ms=now_ms)
    return log.append(entry)


def as_entry(raw: bytes | Entry) -> Entry:
    return raw if isinstance(raw, Entry) else parse_entry(raw)


def check_offered(entry: Entry, *, now_ms: int) -> None:
    """The two rules that hold only at the moment an entry is offered (9.1, steps 1 and 2)."""
    if entry.is_stub:
        raise IncompleteLog("an entry is offered whole: a stub offered alone is never resealed")
    if entry.header.time > now_ms + MAX_CLOCK_AHEAD_MS:
        raise ClockOutOfRange("the entry's time is more than a day ahead of the server's clock")


def replay_stored_log(case_id: bytes, envelopes: Iterable[bytes], association_key: Ed25519PublicKey
                      ) -> tuple[CaseLog, CarnetCryptoError | None]:
    """A stored log replayed through the verifier's rules and the completeness check.

    Returns the log as far as it verified and the first rule broken (None if it all holds), so
    an inventory can both raise an alert and still say who the members were.
    """
    log = CaseLog(case_id, association_key)
    try:
        for raw in envelopes:
            log.append(raw)
        log.check_complete()
    except CarnetCryptoError as exc:
        return log, exc
    return log, None


# Revocations (PROTOCOL 9.2) -------------------------------------------------------------------------

Revocations = Mapping[bytes, list[RosterEntry]]


def revocations_of(roster: Iterable[RosterEntry]) -> dict[bytes, list[RosterEntry]]:
    """The revoking roster entries of each person, lowest serial first."""
    found: dict[bytes, list[RosterEntry]] = {}
    for entry in sorted(roster, key=lambda e: e.serial):
        if entry.status == Status.REVOKED:
            found.setdefault(entry.user_id, []).append(entry)
    return found


def revocation_of(pinned: RosterEntry, revocations: Revocations) -> RosterEntry | None:
    """The first revocation signed after the serial a case pinned for this person, if any."""
    return next((r for r in revocations.get(pinned.user_id, ()) if r.serial > pinned.serial), None)


def pinned_entries(log: CaseLog, entry: Entry) -> list[RosterEntry]:
    """The author's roster entry as the entry's base pins it, then every roster entry it grants."""
    header = entry.header
    grants = granted_entries(log, entry)
    if header.kind == Kind.GENESIS:
        members = {g.user_id: g for g in grants}
    else:
        members = base_members(log, header.control_head)
    author = members.get(header.author)
    return ([author] if author else []) + [g for g in grants if g.user_id != header.author]


def base_members(log: CaseLog, control_head: bytes) -> Mapping[bytes, RosterEntry]:
    """The members as the named control entry leaves them; none if the log lacks it (9 refuses it)."""
    try:
        return log.control_state(control_head).members
    except BrokenChain:
        return {}


def granted_entries(log: CaseLog, entry: Entry) -> list[RosterEntry]:
    """The roster entries a GENESIS or an ADD grants; none if its payload does not parse (9 refuses it)."""
    if entry.header.kind not in (Kind.GENESIS, Kind.ADD) or entry.body is None:
        return []
    try:
        payload = entry_payload(entry, log.association_key)
    except CarnetCryptoError:
        return []
    if isinstance(payload, Genesis):
        return [grant.roster for grant in payload.grants]
    assert isinstance(payload, AddMember)
    return [payload.grant.roster]


def check_not_revoked(log: CaseLog, raw: bytes | Entry, revocations: Revocations, *,
                      known: Callable[[RosterEntry], bool]) -> None:
    """Refuse an entry granting, or written by, a person revoked before it; ``log`` is unchanged.

    An entry comes after a revocation when its signed time is at or past the revocation's
    ``issued_at`` (both signed, so neither the server nor a reader can move them), or when
    ``known(revocation)`` says the party storing it already held the revocation: the server at
    push time, the audit log's order for a verifier.
    """
    entry = as_entry(raw)
    for pinned in pinned_entries(log, entry):
        revoked = revocation_of(pinned, revocations)
        if revoked is not None and (entry.header.time >= revoked.issued_at or known(revoked)):
            role = "written by" if pinned.user_id == entry.header.author else "granting"
            raise RevokedUser(f"an entry {role} a person revoked by roster serial {revoked.serial} before it")


def accept_entry_with_roster(log: CaseLog, raw: bytes | Entry, roster: Iterable[RosterEntry], *,
                             now_ms: int) -> VerifiedEntry:
    """The server's rule at push time (9.1 with 9.2): every revocation it holds is known as it stores.

    The entry comes as its bytes or already parsed (a server parses each envelope once).
    """
    entry = as_entry(raw)
    check_offered(entry, now_ms=now_ms)
    check_not_revoked(log, entry, revocations_of(roster), known=lambda _revocation: True)
    return log.append(entry)
