"""Requests per key and minute: per account for the sync API (a phone that loops cannot starve
the rest), per address for what anonymous visitors reach.

Counted in the database (table ``rate_limits``), so every worker process and every server of one
instance shares one count per key: a limit means the same with one process or ten. The window is
fixed: minutes counted from the epoch. Each request is one upsert that adds itself to its key's
minute and returns the new count, so concurrent requests, in one process or several, each see
those before them and no more than the limit get through in a minute. A fixed window lets a key
send up to twice the limit across the turn of a minute (the end of one, the start of the next);
it costs one row per key and minute, where a sliding window would cost one per request.

Keys are hashed, so the table keeps no readable list of addresses or accounts; rows older than
the previous minute are deleted when a key opens a new minute. Counts commit without waiting for
the disk (``transaction(durable=False)``): every sync request counts itself, and a crash that
forgets the last counts of a minute costs nothing worth an fsync each.
"""

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sync.db import transaction
from sync.errors import TooManyRequests

WINDOW_SECONDS = 60

_COUNT = ("INSERT INTO rate_limits (scope, key_hash, window_start, hits) VALUES (?, ?, ?, 1)"
          " ON CONFLICT (scope, key_hash, window_start) DO UPDATE SET hits = rate_limits.hits + 1"
          " RETURNING hits")
_PRUNE = "DELETE FROM rate_limits WHERE window_start < ?"


@dataclass(frozen=True)
class RateLimiter:
    per_minute: int
    clock: Callable[[], float] = field(default=time.time, compare=False)
    # The problem a refusal names; also the scope of the counts, so two limiters of one
    # instance never share a key's count.
    code: str = "rate-limited"

    def check(self, conn: Any, key: str) -> None:
        """Count one request for ``key``, or refuse it with ``code`` and when to retry."""
        now = int(self.clock())
        window = now - now % WINDOW_SECONDS
        # A count may be forgotten by a crash: its commit does not wait for the disk.
        with transaction(conn, durable=False):
            hits = conn.execute(_COUNT, (self.code, key_hash(key), window)).fetchone()[0]
            if hits == 1:
                # The first request of a key in a new minute clears the minutes nobody counts any
                # more, so the table holds at most two minutes of keys.
                conn.execute(_PRUNE, (window - WINDOW_SECONDS,))
        if hits > self.per_minute:
            raise TooManyRequests(self.code, retry_after=max(1, window + WINDOW_SECONDS - now))


def key_hash(key: str) -> str:
    return hashlib.sha256(b"carnet/v1/rate-limit/" + key.encode("utf-8")).hexdigest()
