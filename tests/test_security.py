"""Security headers, CSRF, cross-site refusals, body limits and problem details."""

import re
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from webapp import create_app
from webapp.access import ACCESS, PUBLIC
from webapp.config import Config
from webapp.security import CONTENT_SECURITY_POLICY

from tests.helpers import Api, Person, logged_in

PAGES = ["/login", "/enrol", "/i18n/fr.json", "/static/css/app.css", "/api/v1/auth/params", "/nowhere"]


@pytest.mark.parametrize("path", PAGES)
def test_every_response_has_the_security_headers(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_over_https(client: FlaskClient) -> None:
    response = client.get("/login", base_url="https://carnet.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_api_and_pages_are_not_cached(app: Flask, people: dict[str, Person]) -> None:
    admin = logged_in(app, people["admin"])
    for path in ("/api/v1/me", "/home", "/admin/", "/login"):
        assert admin.get(path).headers["Cache-Control"] == "no-store", path


def test_pages_have_no_inline_script_or_style(app: Flask, people: dict[str, Person]) -> None:
    admin = logged_in(app, people["admin"])
    for path in ("/login", "/enrol", "/home", "/admin/", "/admin/invite", f"/admin/people/{people['volunteer'].id}"):
        html = admin.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert "<style" not in html and " style=" not in html and " on" + "click=" not in html, path


def test_csp_is_strict() -> None:
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY and "'unsafe-eval'" not in CONTENT_SECURITY_POLICY


def test_state_change_without_csrf_token_is_refused(client: FlaskClient, people: dict[str, Person]) -> None:
    response = client.post("/api/v1/auth/params", json={"email": people["volunteer"].email})
    assert response.status_code == 403
    assert response.get_json()["code"] == "csrf-failed"


def test_csrf_token_of_another_session_is_refused(app: Flask, people: dict[str, Person]) -> None:
    mine = Api(app.test_client())
    theirs = Api(app.test_client())
    response = mine.client.post("/api/v1/auth/params", json={"email": "a@b.org"},
                                headers={"X-CSRF-Token": theirs.token})
    assert response.status_code == 403


def test_admin_form_without_csrf_is_refused(app: Flask, people: dict[str, Person]) -> None:
    admin = logged_in(app, people["admin"])
    response = admin.client.post(f"/admin/people/{people['volunteer'].id}/status", data={"status": "disabled"})
    assert response.status_code == 403
    assert logged_in(app, people["volunteer"]).get("/api/v1/me").status_code == 200


@pytest.mark.parametrize("headers", [{"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                                     {"Origin": "https://evil.example"}])
def test_cross_site_state_changes_are_refused_even_with_a_token(api: Api, headers: dict[str, str]) -> None:
    response = api.post("/api/v1/auth/params", {"email": "a@b.org"}, headers=headers)
    assert response.status_code == 403 and response.get_json()["code"] == "cross-site-request"


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "cross-site", "Origin": "null"},
    {"Sec-Fetch-Site": "same-site", "Origin": "http://localhost"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"},
    {"Origin": "null"},
    {"Origin": "http://localhost.evil.example"},
])
def test_foreign_or_unvouched_null_origins_are_refused(api: Api, headers: dict[str, str]) -> None:
    response = api.post("/api/v1/auth/params", {"email": "a@b.org"}, headers=headers)
    assert response.status_code == 403 and response.get_json()["code"] == "cross-site-request"


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"},
    # Chromium's same-origin form post under Referrer-Policy: no-referrer.
    {"Sec-Fetch-Site": "same-origin", "Origin": "null"},
    {"Sec-Fetch-Site": "none"},
    {"Origin": "http://localhost"},
    {},
])
def test_same_origin_requests_pass(api: Api, headers: dict[str, str]) -> None:
    response = api.post("/api/v1/auth/params", {"email": "a@b.org"}, headers=headers)
    assert response.status_code == 200


def test_a_same_origin_form_post_with_a_null_origin_reaches_the_admin_page(
        app: Flask, people: dict[str, Person]) -> None:
    admin = logged_in(app, people["admin"])
    page = admin.client.get(f"/admin/people/{people['volunteer'].id}").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = admin.client.post(f"/admin/people/{people['volunteer'].id}/status",
                                 data={"status": "disabled", "csrf_token": token},
                                 headers={"Sec-Fetch-Site": "same-origin", "Origin": "null"})
    assert response.status_code == 302


def test_oversized_body_gets_a_problem(api: Api) -> None:
    response = api.post("/api/v1/auth/params", {"email": "a" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["type"] == "urn:carnet:problem:payload-too-large"


def test_non_json_body_gets_a_problem(api: Api) -> None:
    response = api.client.post("/api/v1/auth/params", data="email=x", headers={"X-CSRF-Token": api.token},
                               content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415 and response.get_json()["code"] == "unsupported-media-type"


def test_broken_json_gets_a_problem(api: Api) -> None:
    response = api.client.post("/api/v1/auth/params", data="{not json", headers={"X-CSRF-Token": api.token},
                               content_type="application/json")
    assert response.status_code == 400 and response.get_json()["code"] == "invalid-json"


def test_unknown_api_path_is_a_problem_and_unknown_page_is_a_translated_page(client: FlaskClient) -> None:
    api = client.get("/api/v1/nothing")
    assert api.status_code == 404 and api.mimetype == "application/problem+json"
    page = client.get("/nothing", headers={"Accept-Language": "fr"})
    assert page.status_code == 404 and "Rien n’a été trouvé ici." in page.get_data(as_text=True)


def test_unexpected_errors_are_problems_without_details(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    app.add_url_rule("/api/v1/boom", "boom", lambda: 1 / 0)
    monkeypatch.setitem(ACCESS, "boom", PUBLIC)
    response = app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    assert response.get_json()["code"] == "internal-error" and "ZeroDivision" not in response.get_data(as_text=True)


def test_behind_a_proxy_the_forwarded_scheme_turns_on_hsts(app: Flask, config: Config) -> None:
    proxied = create_app(replace(config, behind_proxy=True)).test_client()
    response = proxied.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in response.headers
    assert "Strict-Transport-Security" not in create_app(config).test_client().get("/login").headers
