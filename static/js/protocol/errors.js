// Every failure of the protocol throws one of these; nothing returns false.
//
// The classes and their names are those of crypto/errors.py and docs/PROTOCOL.md section 10, so
// that a negative vector naming "StaleEpoch" is checked against the same class here as in Python,
// and a caller (or a test) can tell a forged signature from a truncated message or a rolled-back
// log. All derive from CarnetCryptoError: a caller that only needs "this input must not be
// trusted" catches that one class. Subclasses keep the hierarchy of the Python code (a
// TrailingBytes is an InvalidEncoding, a StaleEpoch is an EpochMismatch).

export class CarnetCryptoError extends Error {
  constructor(message) {
    super(message);
    // The class name survives minification of nothing (there is no bundler) and is what the
    // vectors name; it is also what an error shows when it reaches a log line.
    this.name = new.target.name;
  }
}

export class InvalidKdfParameters extends CarnetCryptoError {}

// Encodings: the bytes are not the one canonical form of any valid value.
export class InvalidEncoding extends CarnetCryptoError {}
export class TruncatedInput extends InvalidEncoding {}
export class TrailingBytes extends InvalidEncoding {}
export class OversizedInput extends InvalidEncoding {}
export class WrongFormat extends InvalidEncoding {}
export class UnsupportedVersion extends CarnetCryptoError {}

// Keys and signatures.
export class InvalidPublicKey extends CarnetCryptoError {}
export class InvalidSignature extends CarnetCryptoError {}
export class UntrustedAssociationKey extends CarnetCryptoError {}
export class UnknownUser extends CarnetCryptoError {}
export class RevokedUser extends CarnetCryptoError {}
export class RosterRollback extends CarnetCryptoError {}
export class RosterConflict extends CarnetCryptoError {}
export class WrongTeam extends CarnetCryptoError {}
export class TableRollback extends CarnetCryptoError {}
export class AccountKeyMismatch extends CarnetCryptoError {}

// Encryption.
export class DecryptionFailed extends CarnetCryptoError {}
export class WrongRecipient extends CarnetCryptoError {}
export class KeyCommitmentMismatch extends CarnetCryptoError {}
export class InvalidBody extends CarnetCryptoError {}

// Case logs: each class is one rule of docs/PROTOCOL.md section 9.
export class LogError extends CarnetCryptoError {}
export class InvalidLog extends LogError {}
export class WrongCase extends LogError {}
export class ReplayedEntry extends LogError {}
export class BrokenChain extends LogError {}
export class ForkDetected extends LogError {}
export class RollbackDetected extends LogError {}
export class NotAMember extends LogError {}
export class Unauthorized extends LogError {}
export class EpochMismatch extends LogError {}
export class StaleEpoch extends EpochMismatch {}
export class InvalidControlEntry extends LogError {}
export class ResealMismatch extends LogError {}
export class IncompleteLog extends InvalidLog {}
export class CounterOutOfRange extends InvalidLog {}
export class ClockOutOfRange extends LogError {}
