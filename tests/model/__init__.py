"""A model of Carnet's devices syncing with the real server (docs/PROTOCOL.md 8.12)."""

from tests.model.device import CaseRecord, Device, RefusedEntry, Server

__all__ = ["CaseRecord", "Device", "RefusedEntry", "Server"]
