"""Every failure of the protocol raises one of these; nothing returns False."""


class CarnetCryptoError(Exception):
    """Base of every error raised by the protocol code."""


class InvalidKdfParameters(CarnetCryptoError):
    """KDF parameters are of an unknown version, malformed or weaker than the policy."""
