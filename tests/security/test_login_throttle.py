"""Password guessing against the login throttle: twenty guesses at the same instant must not get
more password checks than the rule allows — per account, and per client address across accounts.

The replay runs against the real server (uvicorn, its own pool; the writes commit), and counts the
real password checks by wrapping the verify function the sign-in calls.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import Engine, create_engine, text

from gis_server.accounts import service
from gis_server.accounts.service import create_user
from gis_server.accounts.throttle import Rule
from tests.conftest import PASSWORD
from tests.utils.database import committed_database
from tests.utils.sessions import live_app

GUESSES = 20
ACCOUNT_LIMIT = 3  # Settings.login_free_failures (default)
ADDRESS_LIMIT = 5
LOCKED_SECONDS = 60


@pytest.fixture(scope="module")
def throttle_url(database_url: str) -> Iterator[str]:
    with committed_database(database_url, "gis_login_throttle") as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            for name in ["viewer", *(f"clerk{i}" for i in range(GUESSES))]:
                create_user(conn, name, PASSWORD, ["viewer"])
        engine.dispose()
        yield url


@pytest.fixture
def throttle_db(throttle_url: str) -> Iterator[Engine]:
    engine = create_engine(throttle_url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM login_throttle"))
    yield engine
    engine.dispose()


@pytest.fixture
def long_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the free failures, a minute's wait (instead of 2 s): a slow machine cannot let a late guess
    through legitimately, so every extra check would be the race."""
    monkeypatch.setattr(Rule, "wait_seconds", lambda rule, failures: 0 if failures < rule.free_failures
                        else LOCKED_SECONDS)


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times the sign-in really compared a password (thread-safe count)."""
    counts: Counter[str] = Counter()
    lock = threading.Lock()
    real = service.verify_password

    def counting(password_hash: str, password: str) -> bool:
        with lock:
            counts["checks"] += 1
        return real(password_hash, password)

    monkeypatch.setattr(service, "verify_password", counting)
    return counts


def replay(base: str, usernames: list[str]) -> list[httpx.Response]:
    """One wrong password per name, all released at the same instant."""
    start = threading.Barrier(len(usernames))

    def guess(username: str) -> httpx.Response:
        with httpx.Client(base_url=base, timeout=60) as http:
            start.wait()
            return http.post("/api/auth/token", data={"username": username, "password": "wrong guess"})

    with ThreadPoolExecutor(len(usernames)) as pool:
        return list(pool.map(guess, usernames))


def test_twenty_simultaneous_guesses_at_one_account_get_three_password_checks(throttle_url, throttle_db,
                                                                               password_checks, long_waits):
    with throttle_db.connect() as conn:
        audited_before = conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar_one()
    with live_app(throttle_url) as (base, _):
        responses = replay(base, ["viewer"] * GUESSES)
        statuses = Counter(r.status_code for r in responses)
        assert password_checks["checks"] == ACCOUNT_LIMIT
        assert statuses == {401: ACCOUNT_LIMIT, 429: GUESSES - ACCOUNT_LIMIT}
        refused = next(r for r in responses if r.status_code == 429)
        wait = int(refused.headers["retry-after"])
        assert LOCKED_SECONDS - 5 <= wait <= LOCKED_SECONDS
        assert refused.json()["message"] == f"登录失败次数过多，请 {wait} 秒后再试"
        # even the right password waits now, and is not checked
        right = httpx.post(f"{base}/api/auth/token", data={"username": "viewer", "password": PASSWORD})
        assert right.status_code == 429 and password_checks["checks"] == ACCOUNT_LIMIT
    with throttle_db.connect() as conn:
        counted = conn.execute(text("SELECT failures FROM login_throttle WHERE scope = 'account' "
                                    "AND subject = 'viewer'")).scalar_one()
        audited = Counter(conn.execute(text(
            "SELECT detail->>'detail' FROM audit_log WHERE action = 'login_failed' AND username = 'viewer' "
            "AND id > :before"), {"before": audited_before}).scalars())
        wait_recorded = conn.execute(text(
            "SELECT (detail->>'wait_seconds')::int FROM audit_log WHERE action = 'login_failed' "
            "AND detail->>'detail' = 'throttled' AND id > :before ORDER BY id LIMIT 1"),
            {"before": audited_before}).scalar_one()
    assert counted == ACCOUNT_LIMIT
    assert audited == {"bad credentials": ACCOUNT_LIMIT, "throttled": GUESSES - ACCOUNT_LIMIT + 1}  # the lock-out
    assert LOCKED_SECONDS - 5 <= wait_recorded <= LOCKED_SECONDS


def test_twenty_simultaneous_guesses_at_twenty_accounts_from_one_address_are_limited_per_address(
        throttle_url, throttle_db, password_checks, long_waits):
    with live_app(throttle_url, login_address_free_failures=ADDRESS_LIMIT) as (base, _):
        responses = replay(base, [f"clerk{i}" for i in range(GUESSES)])
        assert password_checks["checks"] == ADDRESS_LIMIT
        assert Counter(r.status_code for r in responses) == {401: ADDRESS_LIMIT, 429: GUESSES - ADDRESS_LIMIT}
    with throttle_db.connect() as conn:
        rows = conn.execute(text("SELECT scope, count(*), sum(failures) FROM login_throttle "
                                 "WHERE failures > 0 GROUP BY scope ORDER BY scope")).all()
    assert [tuple(row) for row in rows] == [("account", ADDRESS_LIMIT, ADDRESS_LIMIT), ("address", 1, ADDRESS_LIMIT)]


def test_a_successful_sign_in_gives_the_address_its_attempt_back(throttle_url, throttle_db, password_checks):
    with live_app(throttle_url, login_address_free_failures=ADDRESS_LIMIT) as (base, _):
        for _ in range(ADDRESS_LIMIT + 2):  # more sign-ins than the address may fail: none is refused
            ok = httpx.post(f"{base}/api/auth/token", data={"username": "viewer", "password": PASSWORD})
            assert ok.status_code == 200
    assert password_checks["checks"] == ADDRESS_LIMIT + 2
    with throttle_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM login_throttle WHERE failures > 0")).scalar_one() == 0


def test_the_default_waits_double_from_two_seconds_up_to_five_minutes():
    assert [Rule().wait_seconds(n) for n in range(12)] == [0, 0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 300]
    assert Rule(free_failures=30).wait_seconds(29) == 0 and Rule(free_failures=30).wait_seconds(30) == 2
