"""The server's edge under hostile input (issue 13): each finding of the outside review, with the
test that fails on the code before its fix, and the defences no test protected before.

Everything runs on the real app and SQLCipher; the real gunicorn process is tested in
tests/test_server_process.py, the browser's side in tests/browser/test_hostile_browser.py.
"""

import gzip
import io
import json
import re
import unicodedata
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from crypto.encoding import b64url_encode
from crypto.kdf import KdfParams
from sync.api import MAX_ENVELOPE_BYTES
from sync import accounts
from sync.errors import Conflict, InvitationUnusable
from webapp import create_app
from webapp.config import Config, config_of
from webapp.database import get_db
from webapp.security import safe_redirect_target
from webapp.sessions import ANONYMOUS_COOKIE_NAME, COOKIE_NAME

from tests.helpers import TEST_PARAMS, Api, Person, auth_hash_for, csrf_from_page, logged_in
from tests.test_sync import Member, world  # noqa: F401 - the fixture is used by name
from webapp.security import STATIC_HEADERS

# Finding 1 (server side): the passphrase forms cannot be submitted natively -----------------------

PASSPHRASE_PAGES = ("/login", "/enrol")


@pytest.mark.parametrize("path", PASSPHRASE_PAGES)
def test_passphrase_forms_post_nothing_and_name_no_field(client: FlaskClient, path: str) -> None:
    html = client.get(path).get_data(as_text=True)
    forms = re.findall(r"<form[^>]*>.*?</form>", html, re.S)
    passphrase_forms = [f for f in forms if 'type="password"' in f]
    assert passphrase_forms, "the page has its passphrase form"
    for form in passphrase_forms:
        opening = form.split(">", 1)[0]
        # Given no script, a native submission is a POST (nothing in the address, nothing in logs) ...
        assert 'method="post"' in opening
        # ... of no field at all: inputs without a name are never sent ...
        assert not re.search(r"<input[^>]*\sname=", form), "a field has a name: " + form
        # ... and the passphrase is not offered to the browser's password manager.
        for field in re.findall(r'<input[^>]*type="password"[^>]*>', form):
            assert 'autocomplete="off"' in field
        # The button works only once the page's script enabled it.
        assert re.search(r'<button type="submit"[^>]*disabled', form)


def test_a_native_submission_of_the_login_form_is_refused_without_storing_anything(client: FlaskClient) -> None:
    response = client.post("/login", data={})
    assert response.status_code in (400, 403, 405)


# Finding 3: one safe-redirect function, a table of hostile values ---------------------------------

HOSTILE_TARGETS = [
    "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example", "/\t/evil.example",
    "/\n/evil.example", "/\r\n/evil.example", "/%09/evil.example", "/%0a/evil.example", "/%0d%0a/evil.example",
    "/%2F/evil.example", "/%2f%2fevil.example", "/%5Cevil.example", "/%5c%5cevil.example", "https://evil.example",
    "http:/evil.example", "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>", "evil.example",
    " /home", "/ /evil.example", "\x00/home", "/\x00/evil.example", "/\u2028/evil.example", "/\u3000/evil.example",
    "/\u200b/evil.example", "/\ufeff/evil.example", "/%E2%80%A8/evil.example", "", "/" + "a" * 3000, "%2F%2Fevil.example",
]
SAFE_TARGETS = ["/home", "/admin/", "/admin/people/abc?x=1", "/app#cases", "/admin/?q=a%20b"]


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_the_safe_redirect_refuses_every_hostile_target(target: str) -> None:
    assert safe_redirect_target(target, "/fallback") == "/fallback"


@pytest.mark.parametrize("target", SAFE_TARGETS)
def test_the_safe_redirect_keeps_paths_of_this_site(target: str) -> None:
    assert safe_redirect_target(target, "/fallback") == target


def test_the_language_switch_never_sends_the_browser_elsewhere(client: FlaskClient) -> None:
    token = csrf_from_page(client)
    for target in HOSTILE_TARGETS:
        response = client.post("/language", data={"language": "en", "next": target, "csrf_token": token})
        assert response.status_code == 302
        location = response.headers["Location"]
        assert location == "/", f"{target!r} redirected to {location!r}"


# Finding 4: no 500 from input ---------------------------------------------------------------------

DEEP = b"[" * 10_000 + b"]" * 10_000
DEEP_OBJECT = b'{"email": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"


@pytest.mark.parametrize("path", ["/api/v1/auth/params", "/api/v1/auth/login", "/api/v1/enrolment/start",
                                  "/api/v1/enrolment/finish"])
@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT])
def test_json_nested_ten_thousand_deep_is_a_problem_on_the_anonymous_endpoints(api: Api, path: str,
                                                                              body: bytes) -> None:
    response = api.call("POST", path, data=body, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["code"] == "invalid-json"


def test_json_nested_ten_thousand_deep_is_a_problem_on_push(world: dict[str, Member]) -> None:  # noqa: F811
    response = world["volunteer"].api.call("POST", "/api/v1/sync/push", data=DEEP, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["code"] == "invalid-json"


WEIRD_NUMBERS = ["²", "³", "¹²", "٣", "১", "１", "9" * 5000, "1" * 17, "-1", "+1", " 1", "1 ", "0x10", "1e3", "1.0", ""]


def test_odd_digits_in_query_numbers_are_problems(world: dict[str, Member]) -> None:  # noqa: F811
    for query in ("/api/v1/sync/pull?cursor={}", "/api/v1/sync/pull?limit={}",
                  "/api/v1/sync/cases/AAAAAAAAAAAAAAAAAAAAAA/entries?after={}"):
        for value in WEIRD_NUMBERS:
            response = world["coordinator"].api.get(query.format(value))
            assert response.status_code in (404, 422), (query, value, response.status_code)
            assert response.headers["Content-Type"] == "application/problem+json"


def test_odd_digits_in_the_audit_log_query_are_problems(app: Flask, people: dict[str, Person]) -> None:
    auditor = logged_in(app, people["auditor"])
    for name in ("after", "limit"):
        for value in WEIRD_NUMBERS:
            assert auditor.get(f"/api/v1/audit/log?{name}={value}").status_code == 422, (name, value)


COOKIES = ["é" * 43, "\u202e" * 10, "x" * 5000, "a;b", "A" * 42 + "é", "\x00" * 43, "AAAA.BBBB.CCCC"]


# The test client warns that a 5,000-byte cookie is larger than browsers keep: that is the point.
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", [COOKIE_NAME, ANONYMOUS_COOKIE_NAME])
def test_hostile_session_cookies_never_make_an_error_or_a_bare_answer(client: FlaskClient, name: str) -> None:
    for cookie in COOKIES:
        client.set_cookie(name, cookie)
        for path in ("/login", "/home", "/api/v1/me", "/nowhere", "/api/v1/nowhere"):
            response = client.get(path)
            assert response.status_code < 500, (cookie, path)
            for header, value in STATIC_HEADERS:
                assert response.headers.get(header) == value, (cookie, path, header)


def test_an_error_page_that_fails_falls_back_to_a_plain_page_with_the_headers(app: Flask) -> None:
    # Given a page template that cannot be drawn (whatever broke it),
    def broken() -> dict[str, object]:
        raise RuntimeError("the template cannot draw")
    app.template_context_processors[None].append(broken)
    # when a page answers with an error, then a plain page goes out, same status, every header.
    response = app.test_client().get("/nowhere")
    assert response.status_code == 404 and b"Error 404" in response.data
    for header, value in STATIC_HEADERS:
        assert response.headers.get(header) == value


def test_a_gzip_push_with_a_garbage_content_length_is_a_problem(world: dict[str, Member]) -> None:  # noqa: F811
    api = world["volunteer"].api
    for length in ("²", "-1", "abc", "1e3", "9" * 40, " 10", ""):
        response = api.call("POST", "/api/v1/sync/push", data=gzip.compress(b'{"entries": []}'),
                            content_type="application/json", headers={"Content-Encoding": "gzip"},
                            environ_overrides={"CONTENT_LENGTH": length})
        assert 400 <= response.status_code < 500, (length, response.status_code)


# Finding 5: names -------------------------------------------------------------------------------

def invitation(app: Flask, email: str = "nom@example.org") -> str:
    with app.app_context():
        conn = get_db()
        team = accounts.team_by_name(conn, "Prisons") or accounts.create_team(conn, "Prisons", 1)
        config = config_of(app)
        return accounts.invite(conn, config, email=email, role="volunteer", team_id=team,
                               created_by=None, now=config.now())


def finish(api: Api, token: str, name: object, language: str = "fr"):
    return api.post("/api/v1/enrolment/finish", {"token": token, "display_name": name,
                                                 "auth": b64url_encode(b"\1" * 32)},
                    headers={"Accept-Language": language})


IMPERSONATING_NAMES = [
    "Camille\u202e", "\u202eellimaC", "Cam\u2066ille", "Camille\u2069", "Ali\u200f", "\u061cAli", "Camille\x00",
    "Camille\x1b[31m", "Cam\u0085ille", "Camille\u2028Admin", "\u200b", "\u200b\u200c\u200d", "\u3164", "\u2800 \u115f",
    "\u0301\u0301", "   ", "\ufeff", "\u00ad",
]


def test_names_with_controls_direction_overrides_or_nothing_visible_are_refused_in_french(
        app: Flask, api: Api) -> None:
    token = invitation(app)
    for name in IMPERSONATING_NAMES:
        response = finish(api, token, name)
        assert response.status_code == 422, repr(name)
        message = response.get_json()["fields"]["display_name"]
        assert message.startswith("Votre nom"), message
    # and nothing was created: the link still works.
    assert finish(api, token, "Nour").status_code == 200


def test_the_name_message_is_translated_into_arabic(app: Flask, api: Api) -> None:
    message = finish(api, invitation(app), "x\u202e", "ar").get_json()["fields"]["display_name"]
    assert any("\u0600" <= c <= "\u06ff" for c in message), message


NAMES_KEPT = [
    ("Zoe\u0301", "Zoé"), ("  Nour   El  Houda ", "Nour El Houda"), ("نور الهدى", "نور الهدى"),
    ("Đặng Thị", unicodedata.normalize("NFC", "Đặng Thị")), ("میرزا\u200cعلی", "میرزا\u200cعلی"),
]


def test_names_are_stored_nfc_normalised_with_their_spaces_collapsed(app: Flask) -> None:
    for index, (typed, stored) in enumerate(NAMES_KEPT):
        response = finish(Api(app.test_client()), invitation(app, f"nom{index}@example.org"), typed)
        assert response.status_code == 200 and response.get_json()["person"]["display_name"] == stored


def test_names_are_isolated_on_the_admin_pages_and_the_home_page(app: Flask, people: dict[str, Person]) -> None:
    with app.app_context():
        get_db().execute("UPDATE users SET display_name = 'نور' WHERE id = ?", (people["volunteer"].id,))
    admin = logged_in(app, people["admin"])
    assert "<bdi>نور</bdi>" in admin.get("/admin/").get_data(as_text=True)
    assert "<bdi>نور</bdi>" in admin.get(f"/admin/people/{people['volunteer'].id}").get_data(as_text=True)
    volunteer = logged_in(app, people["volunteer"])
    assert "<bdi>نور</bdi>" in volunteer.get("/home").get_data(as_text=True)


# Finding 7: anonymous visitors write nothing, and are counted --------------------------------------

def session_rows(app: Flask) -> int:
    with app.app_context():
        return get_db().execute("SELECT count(*) FROM sessions").fetchone()[0]


def test_anonymous_visits_and_login_attempts_create_no_session_row(app: Flask, people: dict[str, Person]) -> None:
    client = app.test_client()
    for path in ("/", "/login", "/enrol", "/app", "/sw.js", "/nowhere", "/api/v1/auth/csrf"):
        client.get(path)
    api = Api(client)
    api.post("/api/v1/auth/params", {"email": people["volunteer"].email})
    api.login(people["volunteer"].email, "a wrong passphrase")
    api.post("/api/v1/enrolment/start", {"token": "x" * 43})
    client.post("/language", data={"language": "en", "next": "/login", "csrf_token": api.token})
    assert session_rows(app) == 0
    # The CSRF token of the anonymous visitor still works, from its signed cookie,
    assert api.post("/api/v1/auth/params", {"email": "a@example.org"}).status_code == 200
    # and a login starts the first row, under a new cookie.
    assert api.login(people["volunteer"].email, people["volunteer"].passphrase).status_code == 200
    assert session_rows(app) == 1


def test_an_anonymous_session_cookie_from_another_server_is_worthless(app: Flask, config: Config) -> None:
    other = create_app(replace(config, secret_key=b"\2" * 32))
    stranger = other.test_client()
    token = csrf_from_page(stranger)
    cookie = stranger.get_cookie(ANONYMOUS_COOKIE_NAME)
    client = app.test_client()
    client.set_cookie(ANONYMOUS_COOKIE_NAME, cookie.value)
    response = client.post("/api/v1/auth/params", json={"email": "a@example.org"}, headers={"X-CSRF-Token": token})
    assert response.status_code == 403 and response.get_json()["code"] == "csrf-failed"


def test_anonymous_requests_are_limited_per_address(config: Config, people: dict[str, Person]) -> None:
    app = create_app(replace(config, anonymous_requests_per_minute=5))
    client = app.test_client()
    answers = [client.get("/login").status_code for _ in range(7)]
    assert answers[:5] == [200] * 5 and answers[5:] == [429, 429]
    # The app's own files stay reachable, and so does another address.
    assert client.get("/sw.js").status_code == 200
    assert client.get("/login", environ_base={"REMOTE_ADDR": "10.0.0.8"}).status_code == 200


def test_login_parameters_of_unknown_accounts_follow_the_known_ones_after_a_policy_change(
        app: Flask, config: Config, people: dict[str, Person]) -> None:
    # Given accounts enrolled under 600,000 iterations, and the policy now 1,000,000,
    stronger = create_app(replace(config, kdf_iterations=1_000_000))
    api = Api(stronger.test_client())
    known = {api.post("/api/v1/auth/params", {"email": p.email}).get_json()["kdf"]["iterations"]
             for p in people.values()}
    # then made-up parameters are drawn from the same set as the real ones, and stay stable.
    unknown = [api.post("/api/v1/auth/params", {"email": f"nobody{i}@example.org"}).get_json()["kdf"]
               for i in range(12)]
    assert {u["iterations"] for u in unknown} <= known == {600_000}
    again = api.post("/api/v1/auth/params", {"email": "nobody0@example.org"}).get_json()["kdf"]
    assert again == unknown[0] and len({u["salt"] for u in unknown}) == 12


def test_login_parameters_of_unknown_accounts_mirror_a_mixed_population(app: Flask, people: dict[str, Person]) -> None:
    with app.app_context():
        conn = get_db()
        stronger = KdfParams(iterations=900_000, salt=TEST_PARAMS.salt)
        for index in range(6):
            accounts.create_user(conn, email=f"strong{index}@example.org", display_name="Fort", role="auditor",
                                 team_id=None, kdf=stronger, auth_hash=auth_hash_for("x"), now=1)
    api = Api(app.test_client())
    unknown = {api.post("/api/v1/auth/params", {"email": f"n{i}@example.org"}).get_json()["kdf"]["iterations"]
               for i in range(40)}
    assert unknown == {600_000, 900_000}


# Finding 7: the last active admin stays ----------------------------------------------------------

def admin_form(admin: Api, path: str) -> str:
    html = admin.client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_the_only_admin_cannot_demote_themselves(app: Flask, people: dict[str, Person]) -> None:
    admin = logged_in(app, people["admin"])
    path = f"/admin/people/{people['admin'].id}"
    response = admin.client.post(path, data={"csrf_token": admin_form(admin, path), "role": "auditor", "team": ""})
    assert response.status_code == 409
    with app.app_context():
        assert accounts.get_user(get_db(), people["admin"].id)["role"] == "admin"


def test_the_last_active_admin_cannot_be_disabled_or_demoted_by_anyone(app: Flask, people: dict[str, Person]) -> None:
    with app.app_context():
        conn = get_db()
        second = accounts.create_user(conn, email="second@example.org", display_name="Second", role="admin",
                                      team_id=None, kdf=TEST_PARAMS, auth_hash=auth_hash_for("x"), now=1)
        # Two admins: one may go.
        accounts.set_status(conn, second, "disabled", 2, actor=people["admin"].id)
        with pytest.raises(Conflict, match="last-admin"):
            accounts.update_person(conn, people["admin"].id, role="volunteer",
                                   team_id=accounts.team_by_name(conn, "Prisons"), now=3)
        with pytest.raises(Conflict, match="last-admin"):
            accounts.set_status(conn, people["admin"].id, "disabled", 3)
        assert accounts.get_user(conn, people["admin"].id)["status"] == "active"


# Finding 7: a gzip body is inflated only after authentication and the CSRF check ----------------------

class ReadOnce(io.BytesIO):
    """The request body, remembering whether anything read it."""

    touched = False

    def read(self, *args: object) -> bytes:  # type: ignore[override]
        self.touched = True
        return super().read(*args)  # type: ignore[arg-type]


def gzip_push(client: FlaskClient, headers: dict[str, str]) -> tuple[int, bool]:
    packed = gzip.compress(b'{"entries": ["' + b"A" * 2_000_000 + b'"]}')
    stream = ReadOnce(packed)
    response = client.post("/api/v1/sync/push", content_type="application/json",
                           headers={"Content-Encoding": "gzip", **headers},
                           environ_overrides={"wsgi.input": stream, "CONTENT_LENGTH": str(len(packed))})
    return response.status_code, stream.touched


def test_a_gzip_push_is_not_even_read_before_the_caller_is_authenticated(client: FlaskClient) -> None:
    assert gzip_push(client, {}) == (401, False)


def test_a_gzip_push_is_not_even_read_before_the_csrf_check(app: Flask, people: dict[str, Person]) -> None:
    volunteer = logged_in(app, people["volunteer"])
    assert gzip_push(volunteer.client, {}) == (403, False)


# Finding 8: the defences no test protected ------------------------------------------------------

def test_a_session_of_an_account_disabled_behind_its_back_is_refused_when_loaded(
        app: Flask, people: dict[str, Person]) -> None:
    volunteer = logged_in(app, people["volunteer"])
    # Given an account disabled without its sessions being deleted (a restore, a manual fix),
    with app.app_context():
        get_db().execute("UPDATE users SET status = 'disabled' WHERE id = ?", (people["volunteer"].id,))
    # when its session comes back, then it is refused and forgotten.
    assert volunteer.get("/api/v1/me").status_code == 401
    assert session_rows(app) == 0


def test_an_invitation_is_claimed_only_once_even_by_two_readers_who_saw_it_open(app: Flask) -> None:
    token = invitation(app)
    with app.app_context():
        conn = get_db()
        opened = accounts.open_invitation(conn, token, 2)
        # Two requests read the invitation as open; the claim, not the earlier read, decides.
        accounts.claim_invitation(conn, opened["token_hash"], 3)
        with pytest.raises(InvitationUnusable, match="invitation-used"):
            accounts.claim_invitation(conn, opened["token_hash"], 3)


def test_an_envelope_over_the_size_limit_is_refused_before_it_is_read(world: dict[str, Member]) -> None:  # noqa: F811
    # Both bounds: the text (checked before decoding) and the bytes it decodes to.
    for oversized in ("A" * (MAX_ENVELOPE_BYTES * 4 // 3 + 8), b64url_encode(b"\0" * (MAX_ENVELOPE_BYTES + 1))):
        response = world["volunteer"].api.post("/api/v1/sync/push", {"entries": [oversized]})
        assert response.status_code == 422
        assert "entries" in response.get_json()["fields"]
    fits = b64url_encode(b"\0" * MAX_ENVELOPE_BYTES)
    assert world["volunteer"].api.post("/api/v1/sync/push", {"entries": [fits]}).status_code == 200


# Flask-Login as the login manager ------------------------------------------------------------------

def test_flask_login_knows_the_person_of_the_session(app: Flask, people: dict[str, Person]) -> None:
    from flask_login import current_user
    volunteer = logged_in(app, people["volunteer"])
    cookie = volunteer.client.get_cookie(COOKIE_NAME).value
    with app.test_request_context("/api/v1/me", headers={"Cookie": f"{COOKIE_NAME}={cookie}"}):
        app.preprocess_request()
        assert current_user.is_authenticated and current_user.id == people["volunteer"].id


def test_a_remember_me_cookie_signed_with_the_right_secret_logs_nobody_in(app: Flask, config: Config,
                                                                          people: dict[str, Person]) -> None:
    from flask_login.utils import encode_cookie
    with app.test_request_context():
        forged = encode_cookie(people["admin"].id)
    client = app.test_client()
    client.set_cookie("remember_token", forged)
    assert client.get("/api/v1/me").status_code == 401
    assert session_rows(app) == 0
