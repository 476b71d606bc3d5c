"""The acceptance rule: what a server may add to a case log (docs/PROTOCOL.md 9.1).

A server stores an entry only if every honest client would accept the log with it, and an
honest writer could still append after it. Most of that is the verifier's own rules, which
``CaseLog.append`` runs (including the bound on the Lamport clock, so no entry leaves writers
without a next value). Two more hold only at the moment an entry is offered:

- completeness: a RESEAL always follows the entry it names, so a stub offered as a new entry
  can never be accounted for, and every reader would refuse the log (9, step 12);
- time: the entry's time lies within a window of the receiver's clock, so no entry dates the
  case into a future that outlives every honest device.

The server calls ``accept_entry`` for every pushed entry; clients and verifiers run the same
``CaseLog.append`` and ``check_complete``; the auditor's inventory runs ``replay_stored_log``.
"""

from collections.abc import Iterable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from crypto.caselog import CaseLog, VerifiedEntry
from crypto.entry import parse_entry
from crypto.errors import CarnetCryptoError, ClockOutOfRange, IncompleteLog

# A phone's clock may run ahead of the server's; a day covers time zones set wrongly and drift.
MAX_CLOCK_AHEAD_MS = 24 * 3600 * 1000


def accept_entry(log: CaseLog, raw: bytes, *, now_ms: int) -> VerifiedEntry:
    """Append one offered entry to ``log``, or raise without changing it."""
    entry = parse_entry(raw)
    if entry.is_stub:
        raise IncompleteLog("an entry is offered whole: a stub offered alone is never resealed")
    if entry.header.time > now_ms + MAX_CLOCK_AHEAD_MS:
        raise ClockOutOfRange("the entry's time is more than a day ahead of the server's clock")
    return log.append(raw)


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
