"""What the storage refuses, as domain errors: the HTTP edge (webapp.errors) answers each with the
problem its ``code`` names (sync.problems), the command line and the admin pages say it in words.

The storage knows nothing of HTTP: no status, no header. ``code`` is the stable name of the
refusal that clients switch on; ``extra`` carries what the answer shows besides (say, which field).
"""

from typing import Any


class DomainError(Exception):
    """A refusal of the storage layer; nothing was changed."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


class NotFound(DomainError):
    """The thing asked for does not exist (or is not the caller's to see)."""


class InvalidInput(DomainError):
    """A value breaks a rule of the domain; ``extra["fields"]`` names which and why."""


class Conflict(DomainError):
    """The change collides with what is stored: a name taken, the last admin, a duplicate."""


class InvitationUnusable(DomainError):
    """An enrolment or reset link that is unknown, used or expired."""


class LoginRefused(DomainError):
    """Wrong credentials, or an account that may not log in."""


class TooManyRequests(DomainError):
    """A throttle or a rate limit: try again after ``retry_after`` seconds."""

    def __init__(self, code: str, retry_after: int) -> None:
        super().__init__(code, retry_after=retry_after)
        self.retry_after = retry_after
