"""The lock a running server holds, so that ``rekey`` and ``restore`` refuse to run under it.

Every server process (each gunicorn worker) holds a shared lock on ``server.lock`` in the
instance folder for as long as it lives; ``rekey`` and ``restore``, which replace the database
file or its key under the server's feet, take the lock exclusively or stop. Locks held with
flock(2) are released by the kernel when a process ends, even killed: a crash never leaves the
instance locked.
"""

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

LOCK_FILE = "server.lock"
_held: list[IO[bytes]] = []


class ServerRunning(Exception):
    """A server holds the instance: stop it first."""


class InstanceBusy(Exception):
    """A command that needs the instance alone (rekey, restore) is running: wait for it."""


def _open_lock(instance: Path) -> IO[bytes]:
    fd = os.open(instance / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    return os.fdopen(fd, "r+b")


def hold_serving_lock(instance: Path) -> None:
    """Called once by each server process before it serves; kept until the process ends."""
    handle = _open_lock(instance)
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise InstanceBusy(f"{instance}: a rekey or restore is running; start the server after it") from None
    _held.append(handle)


@contextlib.contextmanager
def server_stopped(instance: Path) -> Iterator[None]:
    """Hold the instance alone for the block, or raise ``ServerRunning``."""
    handle = _open_lock(instance)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ServerRunning(f"a Carnet server is running on {instance} (it holds {LOCK_FILE}): "
                                "stop it first") from None
        yield
    finally:
        handle.close()
