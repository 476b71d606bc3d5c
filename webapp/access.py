"""Who may use which endpoint: one table, checked before every request.

An endpoint missing from the table is refused to everyone, so a forgotten entry fails closed.
Case membership is checked next to the data, in ``sync``; this table only knows roles.
"""

from flask import Flask, g, redirect, request, url_for
from werkzeug.wrappers import Response

from sync.context import current_context
from sync.db import get_db
from sync.problems import ApiError
from webapp import login
from webapp.security import safe_redirect_target

ANONYMOUS = "anonymous"
ALL_ROLES = frozenset({"volunteer", "coordinator", "auditor", "admin"})
PUBLIC = ALL_ROLES | {ANONYMOUS}
ADMIN = frozenset({"admin"})
# Only volunteers and coordinators can be members of a case; auditors read ciphertext only.
MEMBERS = frozenset({"volunteer", "coordinator"})
READERS = MEMBERS | {"auditor"}
# A team's policies (its table of measures) are written by its coordination.
COORDINATORS = frozenset({"coordinator"})
# What the server holds, seen from above: for auditors alone, never for admins who run it.
AUDITORS = frozenset({"auditor"})

ACCESS: dict[str, frozenset[str]] = {
    "static": PUBLIC,
    "pages.index": PUBLIC,
    "pages.health": PUBLIC,
    "pages.set_language": PUBLIC,
    "pages.catalog": PUBLIC,
    "pages.home": ALL_ROLES,
    "pwa.app_shell": PUBLIC,
    "pwa.service_worker": PUBLIC,
    "pwa.manifest": PUBLIC,
    "static_files.favicon": PUBLIC,
    "auth.login_page": PUBLIC,
    "auth.enrol_page": PUBLIC,
    "auth.api_csrf": PUBLIC,
    "auth.api_login_params": PUBLIC,
    "auth.api_login": PUBLIC,
    "auth.api_enrolment_start": PUBLIC,
    "auth.api_enrolment_finish": PUBLIC,
    "auth.api_enrolment_reset": PUBLIC,
    "auth.api_logout": ALL_ROLES,
    "auth.api_me": ALL_ROLES,
    "auth.api_upgrade_kdf": ALL_ROLES,
    "auth.api_change_passphrase": ALL_ROLES,
    "auth.api_sessions": ALL_ROLES,
    "auth.api_end_session": ALL_ROLES,
    "auth.api_end_all_sessions": ALL_ROLES,
    "keys.get_association": ALL_ROLES,
    "keys.set_up_association": ADMIN,
    "keys.get_association_escrow": ADMIN,
    "keys.put_my_keys": ALL_ROLES,
    "keys.get_my_keys": ALL_ROLES,
    "keys.get_directory": ALL_ROLES,
    "keys.post_roster_entry": ADMIN,
    # Team members only, and only coordinators write: checked in the views, next to the team.
    "measures.get_measures": MEMBERS,
    "measures.put_measures": COORDINATORS,
    "apidoc.openapi_document": PUBLIC,
    "sync.push": MEMBERS,
    "sync.pull": READERS,
    "sync.list_cases": READERS,
    "sync.case_entries": READERS,
    "audit.log": AUDITORS,
    "audit.head": AUDITORS,
    "audit.inventory": AUDITORS,
    "admin.people": ADMIN,
    "admin.invite": ADMIN,
    "admin.person": ADMIN,
    "admin.set_status": ADMIN,
    "admin.end_sessions": ADMIN,
    "admin.issue_reset": ADMIN,
    "admin.teams": ADMIN,
    # The second factor (webapp/factors.py): the login's pending state is checked in the views.
    "factors.api_second_factor": PUBLIC,
    "factors.api_register_options": PUBLIC,
    "factors.api_register_first": PUBLIC,
    "factors.api_factors": ALL_ROLES,
    "factors.api_factor_options": ALL_ROLES,
    "factors.api_add_factor": ALL_ROLES,
    "factors.api_remove_factor": ALL_ROLES,
    "factors.api_renew_recovery_codes": ALL_ROLES,
    "factors.api_reset_factors": ADMIN,
    "admin.reset_factors": ADMIN,
}


def current_role() -> str:
    return g.user["role"] if g.get("user") else ANONYMOUS


def load_user() -> None:
    """Attach the logged-in, active person (or nobody) to ``g.user``, through Flask-Login."""
    g.user = login.current_record()


# What anonymous visitors reach without counting: the files of the pages and of the app shell
# (a first visit precaches dozens at once), the catalogs and the health check.
UNCOUNTED = frozenset({"static", "pwa.app_shell", "pwa.service_worker", "pwa.manifest", "pages.catalog",
                       "pages.health", "static_files.favicon"})


def count_anonymous_request() -> None:
    """Anonymous requests count against their address's budget per minute (login guesses,
    enrolment tokens, page views): one address cannot keep the server busy for everyone."""
    if g.get("user") is None and request.endpoint not in UNCOUNTED:
        current_context().anonymous_rate.check(get_db(), request.remote_addr or "")


def check_access() -> Response | None:
    if request.endpoint is None:
        return None  # No route matched: Flask answers 404 on its own.
    allowed = ACCESS.get(request.endpoint, frozenset())
    role = current_role()
    if role in allowed:
        return None
    if role != ANONYMOUS:
        raise ApiError("forbidden")
    if request.path.startswith("/api/") or request.method != "GET":
        raise ApiError("not-authenticated")
    return redirect(url_for("auth.login_page", next=safe_redirect_target(request.full_path.rstrip("?"), "/home")))


def init_app(app: Flask) -> None:
    app.before_request(load_user)
    app.before_request(count_anonymous_request)
    app.before_request(check_access)
