"""Every failure of the protocol raises one of these; nothing returns False.

Each class names one thing that went wrong, so a caller (and a test) can tell a forged signature
from a truncated message or a rolled-back log. They all derive from ``CarnetCryptoError``, so a
caller that only needs "this input must not be trusted" catches that one class.
"""


class CarnetCryptoError(Exception):
    """Base of every error raised by the protocol code."""


class InvalidKdfParameters(CarnetCryptoError):
    """KDF parameters are of an unknown version, malformed or weaker than the policy."""


# Encodings: the bytes are not the one canonical form of any valid value.

class InvalidEncoding(CarnetCryptoError):
    """A value is not in the one canonical encoding the protocol allows."""


class TruncatedInput(InvalidEncoding):
    """The input ends before the format says it should."""


class TrailingBytes(InvalidEncoding):
    """The input goes on after the format says it ends."""


class OversizedInput(InvalidEncoding):
    """A length or a count is larger than the protocol allows."""


class WrongFormat(InvalidEncoding):
    """The input starts with the magic of another format (or of none)."""


class UnsupportedVersion(CarnetCryptoError):
    """The format is known but its version is not 1: older, newer or never defined."""


# Keys and signatures.

class InvalidPublicKey(CarnetCryptoError):
    """A public key is not a canonical encoding of a point of large prime order."""


class InvalidSignature(CarnetCryptoError):
    """A signature does not verify under the key the protocol says must have made it."""


class UntrustedAssociationKey(CarnetCryptoError):
    """The association key offered does not match the fingerprint carried by the enrolment link."""


class UnknownUser(CarnetCryptoError):
    """The roster holds no entry for this user."""


class RevokedUser(CarnetCryptoError):
    """The latest roster entry of this user is revoked: no key may be wrapped to them."""


class RosterRollback(CarnetCryptoError):
    """A roster entry is older (lower serial) than one already accepted for the same user."""


class RosterConflict(CarnetCryptoError):
    """Two different roster entries carry the same user and serial: the signer equivocated."""


class WrongTeam(CarnetCryptoError):
    """A team's signed table belongs to another team."""


class TableRollback(CarnetCryptoError):
    """A team's signed table is not newer than the one already accepted: replayed or rolled back."""


class AccountKeyMismatch(CarnetCryptoError):
    """Unwrapped private keys do not match the public keys the roster certifies for the user."""


# Encryption.

class DecryptionFailed(CarnetCryptoError):
    """An AEAD or HPKE ciphertext does not open: wrong key, wrong context or tampered bytes."""


class WrongRecipient(CarnetCryptoError):
    """A wrapped key is addressed to another member."""


class KeyCommitmentMismatch(CarnetCryptoError):
    """A case key does not match the commitment published for its case and epoch."""


class InvalidBody(CarnetCryptoError):
    """An opened body is not canonically padded UTF-8 JSON object text."""


# Case logs: each class is one rule of docs/PROTOCOL.md section "Verifying a case log".

class LogError(CarnetCryptoError):
    """A case log, or an entry in it, breaks a rule every client checks."""


class InvalidLog(LogError):
    """A structural rule of the log is broken (no genesis, clock not advancing, missing body...)."""


class WrongCase(LogError):
    """An entry, wrapped key or checkpoint belongs to another case."""


class ReplayedEntry(LogError):
    """An entry (or its entry id) appears twice in one case log."""


class BrokenChain(LogError):
    """A device's sequence has a gap or a wrong previous-hash link, or a reference is unknown."""


class ForkDetected(LogError):
    """Two different entries claim the same place in a chain: someone equivocated."""


class RollbackDetected(LogError):
    """The log is shorter than a checkpoint the client had already verified."""


class NotAMember(LogError):
    """The author was not a member of the case at the point of the log the entry builds on."""


class Unauthorized(LogError):
    """The author is a member but not a coordinator, and the entry needs one."""


class EpochMismatch(LogError):
    """An entry or wrapped key carries another epoch than the one the log requires."""


class StaleEpoch(EpochMismatch):
    """A device wrote under an older epoch after it had already built on a newer one."""


class InvalidControlEntry(LogError):
    """A membership or rotation entry is inconsistent with the case state it changes."""


class ResealMismatch(LogError):
    """A resealed copy does not hold the same body as the entry it replaces."""


class IncompleteLog(InvalidLog):
    """A stub stands where no reseal holds its body: readers could never open that entry."""


class CounterOutOfRange(InvalidLog):
    """A counter jumps past the bound over the log, leaving honest writers no room after it."""


class ClockOutOfRange(LogError):
    """An entry's time lies outside the window of the receiving server's clock."""
