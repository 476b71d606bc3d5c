"""The whole API fuzzed from its own OpenAPI document (/api/v1/openapi.json): no input, valid or
not, from anyone, logged in or not, gets a server error.

Schemathesis reads the document and generates requests for every operation, both that fit the
schema ("positive") and that break it ("negative": wrong types, missing fields, odd strings in
queries, paths and headers); Hypothesis drives it. Each request goes to the real app on real
SQLCipher as an anonymous visitor and as each role, with a real session cookie and its CSRF
token, so the checks behind authentication are reached too. The document defines no links
between operations, so there is no stateful sequence to follow; state still builds up, since one
database serves every example of a run.

The CI profile is bounded and derandomized (the same examples at every run); its settings are
printed with the results. ``CARNET_FUZZ_EXAMPLES=500`` runs a deeper search locally.

Random generation rarely draws the few values that broke the server before (a "²" among
digits, a number of five thousand digits): every parameter and every body field the document
names also gets each value of a fixed table of hostile ones (``HOSTILE_VALUES``).

How we know it can fail: ``test_the_fuzz_catches_a_server_error_injected_into_one_endpoint``
replaces one view (the pull) by one that raises on odd cursors, and checks that the same routine
reports it. It was also checked once by hand: with ``int_query`` back to ``str.isdigit()`` (the
code before issue 13), the hostile table fails on "²" in ``cursor``.
"""

import os
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode

from webapp.config import Config
from webapp.sessions import COOKIE_NAME

from tests.helpers import Api, Person, logged_in

EXAMPLES = int(os.environ.get("CARNET_FUZZ_EXAMPLES", "6"))
PROFILE = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))
# Coordinators reach what volunteers reach (the access table), with other data.
ROLES = ("anonymous", "volunteer", "auditor", "admin")
# These end the session they are sent with: the fuzz logs in again after each.
SESSION_ENDING = {("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/me/sessions/end-all")}


class Caller:
    """Sends a generated case as one person (or nobody), keeping a live session and its token."""

    def __init__(self, app: Flask, person: Person | None) -> None:
        self.app = app
        self.person = person
        self.renew()

    def renew(self) -> None:
        api = logged_in(self.app, self.person) if self.person else Api(self.app.test_client())
        self.client = api.client
        cookie = api.client.get_cookie(COOKIE_NAME)
        self.cookies = {COOKIE_NAME: cookie.value} if cookie else {}
        self.token = api.token

    def send(self, case: Any) -> Any:
        response = case.call(headers={"X-CSRF-Token": self.token}, cookies=self.cookies)
        if (case.method.upper(), case.operation.path) in SESSION_ENDING:
            self.renew()
        return response


def fuzz_operation(operation: Any, mode: GenerationMode, caller: Caller) -> None:
    """Every generated case of one operation answers something other than a 5xx."""

    @PROFILE
    @given(case=operation.as_strategy(mode))
    def run(case: Any) -> None:
        response = caller.send(case)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} query={case.query!r} body={case.body!r} "
            f"headers={dict(case.headers or {})!r} answered {response.status_code}")

    try:
        run()
    except Unsatisfiable:
        # An operation with no parameter and no body has nothing to break: no negative case.
        assert mode is GenerationMode.NEGATIVE


HOSTILE_VALUES: list[Any] = [
    "²", "³", "١٢", "9" * 5000, "-1", "1e9", " ", "", "\x00", "é" * 100, "\u202e", "%00", "../" * 20, "A" * 70_000,
    "[" * 5000, 2**70, -1, 1.5, True, None, [], {}, [[[[[]]]]], {"a": {"b": {}}},
]


def hostile_requests(operation: Any) -> list[dict[str, Any]]:
    """Each parameter and each body field of one operation, set in turn to each hostile value."""
    definition = operation.definition.raw
    path = operation.path
    params = definition.get("parameters", [])
    path_args = {p["name"]: "AAAAAAAAAAAAAAAAAAAAAA" for p in params if p["in"] == "path"}
    body_schema = (definition.get("requestBody", {}).get("content", {}).get("application/json", {})
                   .get("schema", {}))
    fields = list(body_schema.get("properties", {}))
    requests = []
    for value in HOSTILE_VALUES:
        for param in params:
            if param["in"] == "query":
                requests.append({"path": path.format(**path_args), "query": {param["name"]: str(value)}})
            elif param["in"] == "path" and isinstance(value, str) and value and "/" not in value:
                requests.append({"path": path.format(**{**path_args, param["name"]: value}), "query": {}})
        for name in fields:
            requests.append({"path": path.format(**path_args), "query": {}, "json": {name: value}})
    return requests


def hostile_sweep(caller: Caller, found: list[Any]) -> int:
    sent = 0
    for operation in found:
        for spec in hostile_requests(operation):
            response = caller.client.open(spec["path"], method=operation.method.upper(), query_string=spec["query"],
                                          json=spec.get("json"), headers={"X-CSRF-Token": caller.token})
            sent += 1
            assert response.status_code < 500, f"{operation.method.upper()} {spec} answered {response.status_code}"
            if (operation.method.upper(), operation.path) in SESSION_ENDING:
                caller.renew()
    return sent


def operations(app: Flask) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.fixture
def config(config: Config) -> Config:
    # One address sends everything here: the anonymous budget per minute would answer 429 to
    # most of the run, and a 429 teaches the fuzz nothing.
    return replace(config, anonymous_requests_per_minute=10**9, sync_requests_per_minute=10**9)


@pytest.fixture
def fuzz_app(app: Flask) -> Flask:
    return app


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_no_generated_request_gets_a_server_error(fuzz_app: Flask, people: dict[str, Person], role: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    caller = Caller(fuzz_app, None if role == "anonymous" else people[role])
    found = operations(fuzz_app)
    assert len(found) >= 25, "the document lists every operation of the API"
    sent = hostile_sweep(caller, found)
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        for operation in found:
            fuzz_operation(operation, mode, caller)
    with capsys.disabled():
        print(f"\n[api fuzz] role={role} operations={len(found)} modes=positive,negative "
              f"max_examples={EXAMPLES} derandomize=True deadline=None hostile_table={sent} requests: no 5xx")


def raising_on_odd_cursors(view: Callable[..., Any]) -> Callable[..., Any]:
    def broken(*args: Any, **kwargs: Any) -> Any:
        from flask import request
        cursor = request.args.get("cursor", "")
        if cursor.isascii() and cursor.isdigit() and int(cursor) % 2:
            raise RuntimeError("a bug injected by the test")
        return view(*args, **kwargs)
    return broken


def test_the_fuzz_catches_a_server_error_injected_into_one_endpoint(fuzz_app: Flask,
                                                                    people: dict[str, Person]) -> None:
    # Given the pull answering 500 whenever the cursor is odd,
    fuzz_app.view_functions["sync.pull"] = raising_on_odd_cursors(fuzz_app.view_functions["sync.pull"])
    pull = next(op for op in operations(fuzz_app) if op.path == "/api/v1/sync/pull")
    # when the fuzz runs on it as a volunteer, then it fails, naming the request.
    with pytest.raises(AssertionError, match="answered 500"):
        fuzz_operation(pull, GenerationMode.POSITIVE, Caller(fuzz_app, people["volunteer"]))
