"""Requests per key and minute: per account for the sync API (a phone that loops cannot starve
the rest), per address for what anonymous visitors reach.

Counted in memory, per server process: right for the embedded default (one process); behind
several workers each counts alone, which a deployment must take into account (docs/OPERATIONS.md).
"""

import threading
import time
from collections import deque
from collections.abc import Callable

from sync.problems import ApiError

WINDOW_SECONDS = 60


class RateLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic, *,
                 code: str = "rate-limited") -> None:
        self.per_minute = per_minute
        self.code = code
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        """Count one request for ``key``, or refuse it with ``rate-limited`` and when to retry."""
        now = self.clock()
        with self._lock:
            seen = self._seen.setdefault(key, deque())
            while seen and seen[0] <= now - WINDOW_SECONDS:
                seen.popleft()
            if len(seen) >= self.per_minute:
                retry_after = max(1, int(seen[0] + WINDOW_SECONDS - now) + 1)
                error = ApiError(self.code, retry_after=retry_after)
                error.headers["Retry-After"] = str(retry_after)
                raise error
            seen.append(now)
            # Keys with nothing left in the window are forgotten, so the table stays small
            # whatever number of addresses or accounts comes by.
            if len(self._seen) > 10_000:
                self._seen = {k: v for k, v in self._seen.items() if v and v[-1] > now - WINDOW_SECONDS}
