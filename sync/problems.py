"""The problems the API answers with (RFC 9457 problem details), in one list.

Every problem has a stable ``type`` (``urn:carnet:problem:<code>``) that clients switch on; the
``title`` is translated for people, the ``code`` is for programs.
"""

from typing import Any

from flask_babel import lazy_gettext as _l

PROBLEM_TYPE_PREFIX = "urn:carnet:problem:"

# One list of every problem the server can answer with: code -> (status, title).
PROBLEMS: dict[str, tuple[int, Any]] = {
    "bad-request": (400, _l("The request is malformed.")),
    "invalid-json": (400, _l("The request body is not valid JSON.")),
    "validation-failed": (422, _l("Some fields are missing or invalid.")),
    "not-authenticated": (401, _l("Please log in.")),
    "forbidden": (403, _l("You are not allowed to do this.")),
    "csrf-failed": (403, _l("The security token of this page is missing or expired. Reload the page.")),
    "cross-site-request": (403, _l("Requests from other sites are refused.")),
    "not-found": (404, _l("Nothing was found here.")),
    "method-not-allowed": (405, _l("This method is not allowed here.")),
    "payload-too-large": (413, _l("The request is too large.")),
    "unsupported-media-type": (415, _l("The request must be sent as JSON.")),
    "login-failed": (401, _l("The email or the passphrase is wrong.")),
    "passphrase-wrong": (403, _l("The current passphrase is wrong. Nothing was changed.")),
    "login-throttled": (429, _l("Too many failed attempts. Wait a moment before trying again.")),
    "login-locked": (429, _l("Too many failed attempts: this login is locked for a while.")),
    "account-disabled": (403, _l("This account is disabled.")),
    "invitation-invalid": (404, _l("This enrolment link is not valid.")),
    "invitation-expired": (410, _l("This enrolment link has expired. Ask for a new one.")),
    "invitation-used": (410, _l("This enrolment link has already been used.")),
    "email-taken": (409, _l("An account with this email already exists.")),
    "account-exists": (409, _l("This address already has an account. If the person lost their passphrase, "
                               "issue a passphrase reset link from their page in People.")),
    "enrolment-account-exists": (409, _l("An account already exists for this address. If you forgot your "
                                         "passphrase, ask an administrator for a passphrase reset link.")),
    "team-exists": (409, _l("A team with this name already exists.")),
    "invalid-key": (422, _l("A public key is not valid.")),
    "association-missing": (409, _l("The association's signing key is not set up yet. An administrator must set it up.")),
    "association-exists": (409, _l("The association's signing key is already set up.")),
    "keys-exist": (409, _l("This account already has keys.")),
    "keys-missing": (404, _l("This account has no keys yet.")),
    "roster-invalid": (422, _l("This roster entry is not validly signed by the association key.")),
    "roster-mismatch": (409, _l("This roster entry does not match the person's role, team or keys.")),
    "roster-stale": (409, _l("A newer roster entry exists for this person.")),
    "measures-invalid": (422, _l("This table of measures is not validly signed by a coordinator of the team.")),
    "measures-stale": (409, _l("The team's table of measures changed meanwhile. Sync, then make your change again.")),
    "rate-limited": (429, _l("Too many requests from this account. Sync will try again in a moment.")),
    "rate-limited-anonymous": (429, _l("Too many requests from this address. Wait a minute and try again.")),
    "last-admin": (409, _l("This would leave the association without an active administrator.")),
    "invalid-name": (422, _l("This name cannot be used.")),
    "storage-full": (507, _l("The server has no room left to store this. Nothing was saved; "
                             "sync will try again later.")),
    "storage-unavailable": (503, _l("The server cannot reach its database. Nothing was saved; "
                                    "sync will try again later.")),
    "second-factor-failed": (401, _l("This security key or recovery code was not accepted. Log in again.")),
    "second-factor-not-pending": (400, _l("No login is waiting for a security key. Log in again.")),
    "factor-invalid": (422, _l("This security key's answer could not be verified. Try again.")),
    "factor-exists": (409, _l("This security key is already registered.")),
    "last-factor-required": (409, _l("Your role requires a security key: register another before removing this one.")),
    "internal-error": (500, _l("Something went wrong on the server. Nothing was saved.")),
}


class ApiError(Exception):
    """Raised anywhere in a request; becomes a problem details response."""

    def __init__(self, code: str, detail: str | None = None, **extra: Any) -> None:
        if code not in PROBLEMS:
            raise ValueError(f"unknown problem code {code!r}")
        super().__init__(code)
        self.code = code
        self.status = PROBLEMS[code][0]
        self.detail = detail
        self.extra = extra
        self.headers: dict[str, str] = {}
