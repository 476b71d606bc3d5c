"""Fault points: named places on the server's write path where a fault-injection run
(bench/faults.py) makes the server die, to check that nothing confirmed is lost and nothing is
stored twice.

Armed only when ``CARNET_FAULT_POINTS`` names a folder, read once when this module is imported:
a point is then triggered by a file of its name in that folder (``before-commit``), holding the
action (``kill``: this process ends with SIGKILL; ``kill-server``: its whole process group, the
gunicorn master and every worker). The first thread to reach the point claims the file by
renaming it to ``<point>.fired`` (atomic, so exactly one request fires it), then acts. The run
learns that the point fired from the renamed file and from the process's end: no timing.

Unarmed (every real deployment), a point costs one dictionary lookup. A point never sleeps.

``lose`` is a deliberately broken action, for the run's own test: armed at ``before-entry-insert``,
it makes the next commit of that thread commit nothing while the push still answers "stored".
"""

import contextlib
import os
import signal
import threading
from pathlib import Path
from typing import Any

ENV = "CARNET_FAULT_POINTS"
POINTS = ("before-entry-insert", "before-audit-record", "before-commit", "after-commit", "before-push-answer",
          "before-rekey")
ACTIONS = ("kill", "kill-server", "lose")


def _arm(folder: str) -> dict[str, Path]:
    if not folder:
        return {}
    # A file-size limit (RLIMIT_FSIZE, the run's full disk) then fails a write with EFBIG, as a
    # full disk fails it with ENOSPC, instead of killing the process with SIGXFSZ.
    with contextlib.suppress(ValueError):  # only the main thread may set a handler
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    return {name: Path(folder) / name for name in POINTS}


_ARMED: dict[str, Path] = _arm(os.environ.get(ENV, ""))
_thread = threading.local()


def point(name: str, conn: Any = None) -> None:
    """A fault point: nothing unless a run armed it."""
    trigger = _ARMED.get(name)
    if trigger is not None:
        _reached(name, trigger, conn)


def _reached(name: str, trigger: Path, conn: Any) -> None:
    if name == "before-commit" and getattr(_thread, "lose", False):
        _thread.lose = False
        # The broken action: the transaction's work is dropped, then an empty one commits.
        conn.execute("ROLLBACK")
        conn.execute("BEGIN")
        return
    fired = trigger.with_name(trigger.name + ".fired")
    try:
        os.rename(trigger, fired)
    except FileNotFoundError:
        return
    action = fired.read_text().strip() or "kill"
    if action == "lose":
        _thread.lose = True
    elif action == "kill-server":
        os.killpg(os.getpgrp(), signal.SIGKILL)
    else:
        os.kill(os.getpid(), signal.SIGKILL)
