"""What limits callers is kept in the database: rate limits, login throttles and sessions. Every
worker process and every server of an instance shares them, so a limit means the same with one
process or ten, and a session started on one server is known to all."""

import multiprocessing
from dataclasses import replace

from flask import Flask

from sync import db
from sync.errors import TooManyRequests
from sync.ratelimit import WINDOW_SECONDS, RateLimiter, key_hash
from webapp import create_app
from webapp.config import Config
from webapp.database import get_db

from webapp.sessions import COOKIE_NAME

from tests.conftest import Clock
from tests.helpers import Api, Person, logged_in


def two_servers(config: Config, **limits: int) -> tuple[Flask, Flask]:
    """Two app instances on one database file: two workers, or two servers, of one instance."""
    limited = replace(config, **limits)
    return create_app(limited), create_app(limited)


def test_two_app_instances_share_one_sync_limit(config: Config, people: dict[str, Person]) -> None:
    # Given two servers on one database and a limit of 4 sync requests per minute,
    first, second = two_servers(config, sync_requests_per_minute=4)
    on_first, on_second = logged_in(first, people["volunteer"]), logged_in(second, people["volunteer"])
    # when one account sends 2 requests to each,
    answers = [api.get("/api/v1/sync/pull").status_code for api in (on_first, on_second, on_first, on_second)]
    assert answers == [200] * 4
    # then the fifth is refused by either server: they count together, not 4 each.
    assert on_first.get("/api/v1/sync/pull").status_code == 429
    refused = on_second.get("/api/v1/sync/pull")
    assert refused.status_code == 429 and refused.get_json()["code"] == "rate-limited"


def test_two_app_instances_share_one_anonymous_limit(config: Config, people: dict[str, Person]) -> None:
    first, second = two_servers(config, anonymous_requests_per_minute=5)
    clients = [first.test_client(), second.test_client()]
    answers = [clients[i % 2].get("/login").status_code for i in range(5)]
    assert answers == [200] * 5
    assert [c.get("/login").status_code for c in clients] == [429, 429]


def test_failed_logins_on_two_servers_count_together(config: Config, people: dict[str, Person]) -> None:
    # Given two servers, three wrong passphrases spread over them, then the fourth attempt waits
    # on either: the throttle counts the account's failures, not one server's.
    first, second = two_servers(config)
    apis = [Api(first.test_client()), Api(second.test_client())]
    person = people["volunteer"]
    assert [apis[i % 2].login(person.email, "wrong guess").get_json()["code"] for i in range(3)] == ["login-failed"] * 3
    slowed = apis[1].login(person.email, "wrong guess")
    assert slowed.status_code == 429 and slowed.get_json()["code"] == "login-throttled"
    assert int(slowed.headers["Retry-After"]) >= 1


def test_a_session_started_on_one_server_is_served_and_ended_on_the_other(config: Config,
                                                                          people: dict[str, Person]) -> None:
    first, second = two_servers(config)
    on_first = logged_in(first, people["volunteer"])
    cookie = on_first.client.get_cookie(COOKIE_NAME)
    assert cookie is not None
    other = second.test_client()
    other.set_cookie(COOKIE_NAME, cookie.value)
    on_second = Api(other)
    assert on_second.get("/api/v1/me").get_json()["person"]["email"] == people["volunteer"].email
    # Logging out on the second ends the session on the first too.
    assert on_second.post("/api/v1/auth/logout", {}).status_code == 200
    assert on_first.get("/api/v1/me").status_code == 401


def test_a_refusal_says_when_the_minute_ends(config: Config, clock: Clock, people: dict[str, Person]) -> None:
    # The window is fixed: minutes counted from the epoch. Refused 20 s into one, the caller
    # is told to come back in 40 s, and is served again then.
    app = create_app(replace(config, sync_requests_per_minute=2))
    volunteer = logged_in(app, people["volunteer"])
    clock.advance(WINDOW_SECONDS - clock() % WINDOW_SECONDS + 20)
    assert [volunteer.get("/api/v1/sync/pull").status_code for _ in range(2)] == [200, 200]
    refused = volunteer.get("/api/v1/sync/pull")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "40"
    clock.advance(40)
    assert volunteer.get("/api/v1/sync/pull").status_code == 200


def test_counts_are_kept_hashed_and_old_minutes_are_deleted(app: Flask, config: Config, clock: Clock) -> None:
    client = app.test_client()
    client.get("/login", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    with app.app_context():
        rows = get_db().execute("SELECT scope, key_hash, window_start, hits FROM rate_limits").fetchall()
        assert [tuple(r) for r in rows] == [("rate-limited-anonymous", key_hash("203.0.113.7"),
                                             int(clock()) - int(clock()) % WINDOW_SECONDS, 1)]
        assert "203.0.113.7" not in rows[0]["key_hash"]
    # Two minutes later, the first request of a key in its new minute clears the old minutes.
    clock.advance(2 * WINDOW_SECONDS)
    client.get("/login", environ_base={"REMOTE_ADDR": "198.51.100.4"})
    with app.app_context():
        rows = get_db().execute("SELECT key_hash FROM rate_limits").fetchall()
        assert [r["key_hash"] for r in rows] == [key_hash("198.51.100.4")]


def count_in_a_process(settings: db.DatabaseSettings, now: float, attempts: int,
                       passed: "multiprocessing.Queue[int]") -> None:
    limiter = RateLimiter(15, lambda: now)
    conn = db.open_database(settings)
    served = 0
    for _ in range(attempts):
        try:
            limiter.check(conn, "one account")
            served += 1
        except TooManyRequests:
            pass
    conn.close()
    passed.put(served)


def test_processes_counting_at_once_serve_no_more_than_the_limit(app: Flask, config: Config) -> None:
    # Given four processes, each with its own connection, sending 10 requests of one key at
    # once under a limit of 15, then exactly 15 are served: each count is one atomic upsert.
    context = multiprocessing.get_context("spawn")
    passed: "multiprocessing.Queue[int]" = context.Queue()
    workers = [context.Process(target=count_in_a_process,
                               args=(config.database, config.clock(), 10, passed))
               for _ in range(4)]
    for worker in workers:
        worker.start()
    served = [passed.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert sum(served) == 15
