"""The access table, walked whole: every role against every endpoint of the app."""

import pytest
from flask import Flask

from webapp.access import ACCESS, ANONYMOUS

from tests.helpers import Api, Person, logged_in

ROLES = [ANONYMOUS, "volunteer", "coordinator", "auditor", "admin"]
PLACEHOLDERS = {"user_id": "someone", "handle": "nohandle", "language": "fr", "filename": "css/app.css",
                "case_id": "AAAAAAAAAAAAAAAAAAAAAA", "team_id": "<team>", "factor_id": "nofactor"}
# A team's own endpoints are called with the caller's team (another team's answer 403 to all).
NO_TEAM = "AAAAAAAAAAAAAAAAAAAAAA"


def routes(app: Flask) -> list[tuple[str, str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<{name}>", PLACEHOLDERS[name]).replace(f"<path:{name}>", PLACEHOLDERS[name])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url))
    return found


def test_every_endpoint_is_in_the_table_and_nothing_else(app: Flask) -> None:
    assert {rule.endpoint for rule in app.url_map.iter_rules()} == set(ACCESS)


def test_an_endpoint_missing_from_the_table_is_refused_to_everyone(app: Flask, people: dict[str, Person]) -> None:
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    assert app.test_client().get("/forgotten").status_code == 302
    assert logged_in(app, people["admin"]).get("/forgotten").status_code == 403


def call(api: Api, method: str, url: str):
    return api.call(method, url, {} if method != "GET" else None)


def test_role_by_endpoint_table(app: Flask, people: dict[str, Person]) -> None:
    checked = 0
    for role in ROLES:
        api = None
        for endpoint, method, url in routes(app):
            # Logging in is slow (Argon2id): keep one session per role while it lives.
            if api is None or (role != ANONYMOUS and api.get("/api/v1/me").status_code != 200):
                api = Api(app.test_client()) if role == ANONYMOUS else logged_in(app, people[role])
            team = api.get("/api/v1/me").get_json()["person"]["team_id"] if role != ANONYMOUS else None
            response = call(api, method, url.replace("<team>", team or NO_TEAM))
            allowed = role in ACCESS[endpoint]
            denied_anonymous = response.status_code == 401 or (
                response.status_code == 302 and "/login" in response.headers["Location"] and endpoint != "pages.index")
            if allowed:
                assert response.status_code not in (401, 403) and not denied_anonymous, (role, endpoint, response)
            elif role == ANONYMOUS:
                assert denied_anonymous, (role, endpoint, response.status_code)
            else:
                assert response.status_code == 403, (role, endpoint, response.status_code)
            checked += 1
    assert checked == len(ROLES) * len(routes(app))


# The policy, written out a second time by hand: a change to the table must change this too.
EXPECTED_PUBLIC = {"static", "pages.index", "pages.health", "pages.set_language", "pages.catalog",
                   "auth.login_page", "auth.enrol_page", "auth.api_csrf", "auth.api_login_params", "auth.api_login",
                   "auth.api_enrolment_start", "auth.api_enrolment_finish", "auth.api_enrolment_reset",
                   "pwa.app_shell", "pwa.service_worker", "pwa.manifest", "apidoc.openapi_document",
                   "static_files.favicon",
                   # The second factor of a login whose passphrase was right (its pending state).
                   "factors.api_second_factor", "factors.api_register_options", "factors.api_register_first"}

EXPECTED_ADMIN_API = {"keys.set_up_association", "keys.get_association_escrow", "keys.post_roster_entry",
                      "factors.api_reset_factors"}

EXPECTED_AUDITOR = {"audit.log", "audit.head", "audit.inventory"}


@pytest.mark.parametrize("endpoint", sorted(ACCESS))
def test_the_table_says_what_the_policy_says(endpoint: str) -> None:
    roles = ACCESS[endpoint]
    if endpoint in EXPECTED_PUBLIC:
        assert ANONYMOUS in roles
    elif endpoint.startswith("admin.") or endpoint in EXPECTED_ADMIN_API:
        assert roles == {"admin"}
    elif endpoint.startswith("audit.") or endpoint in EXPECTED_AUDITOR:
        assert endpoint in EXPECTED_AUDITOR and roles == {"auditor"}
    else:
        assert ANONYMOUS not in roles and roles
