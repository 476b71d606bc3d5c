"""The attack suite runs on the same association and standard case as the protocol tests."""

from tests.crypto.conftest import standard, world

__all__ = ["standard", "world"]
