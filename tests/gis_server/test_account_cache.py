"""The account cache: signed-in users are read once, and forgotten as soon as PostgreSQL reports a
change to users or roles (NOTIFY from migration 0009's triggers) — also changes made by another
process, straight in SQL. These tests commit, so they run on a database of their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from gis_server.accounts.cache import Account, AccountCache, read_account
from gis_server.accounts.service import create_user, set_disabled
from gis_server.app import create_app
from gis_server.db import libpq_url
from gis_server.settings import Settings
from tests.conftest import PASSWORD
from tests.utils.database import committed_database


@pytest.fixture(scope="module")
def accounts_url(database_url: str) -> Iterator[str]:
    with committed_database(database_url, "gis_account_cache") as url:
        yield url


@pytest.fixture
def accounts_db(accounts_url: str) -> Iterator[Engine]:
    engine = create_engine(accounts_url)
    with engine.begin() as conn:
        create_user(conn, "probe", PASSWORD, ["viewer"])
    yield engine
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM users WHERE username = 'probe'"))
    engine.dispose()


class CountingLoader:
    def __init__(self, engine: Engine):
        self.engine, self.calls = engine, 0

    def __call__(self) -> Account | None:
        self.calls += 1
        with self.engine.connect() as conn:
            return read_account(conn, "probe")


def eventually(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def cache(accounts_url: str, accounts_db: Engine) -> Iterator[AccountCache]:
    """Listening once the probe account exists (its creation's notification is not in flight)."""
    listening = AccountCache(libpq_url(accounts_url))
    listening.start()
    assert listening.wait_listening(10), "the listener did not connect"
    yield listening
    listening.stop()


def test_an_account_is_read_once_then_again_after_it_is_disabled(cache, accounts_db):
    load = CountingLoader(accounts_db)
    assert cache.get("probe", load) == cache.get("probe", load)
    assert load.calls == 1 and cache.get("probe", load).roles == frozenset({"viewer"})
    with accounts_db.begin() as conn:  # as `haicheng-gis users disable probe` in another process
        set_disabled(conn, "probe", True)
    assert eventually(lambda: cache.get("probe", load).disabled)
    assert load.calls == 2


def test_a_role_granted_in_sql_is_seen_and_a_rolled_back_change_is_not_noticed(cache, accounts_db):
    load = CountingLoader(accounts_db)
    cache.get("probe", load)
    with accounts_db.connect() as conn:  # no commit: no notification, the cached row stays
        conn.execute(text("UPDATE users SET disabled = true WHERE username = 'probe'"))
        conn.rollback()
    time.sleep(0.3)
    assert cache.get("probe", load).disabled is False and load.calls == 1
    with accounts_db.begin() as conn:
        conn.execute(text("INSERT INTO user_roles (user_id, role) "
                          "SELECT id, 'case_worker' FROM users WHERE username = 'probe'"))
    assert eventually(lambda: "case_worker" in cache.get("probe", load).roles)


def test_an_entry_is_read_again_after_its_maximum_age_even_without_notifications(accounts_url, accounts_db):
    load = CountingLoader(accounts_db)
    short = AccountCache(libpq_url(accounts_url), max_age=0.2)
    short.start()
    try:
        assert short.wait_listening(10)
        short.get("probe", load)
        short.get("probe", load)
        assert load.calls == 1
        time.sleep(0.3)
        short.get("probe", load)
        assert load.calls == 2
    finally:
        short.stop()


def test_without_a_listener_nothing_is_cached(accounts_db):
    load = CountingLoader(accounts_db)
    uncached = AccountCache(None)
    uncached.start()  # no URL: no thread
    for _ in range(3):
        uncached.get("probe", load)
    assert load.calls == 3


def test_the_app_refuses_a_user_disabled_from_another_process_while_signed_in(accounts_url, accounts_db):
    app = create_app(Settings(environment="test", database_url=accounts_url, _env_file=None))
    with TestClient(app) as client:  # the app owns its database: it listens and caches
        assert app.state.accounts.wait_listening(10)
        token = client.post("/api/auth/token", data={"username": "probe", "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        assert client.get("/api/layers", headers=headers).status_code == 200
        assert client.get("/api/layers", headers=headers).status_code == 200  # served from the cache
        with accounts_db.begin() as conn:
            set_disabled(conn, "probe", True)
        assert eventually(lambda: client.get("/api/layers", headers=headers).status_code == 401)
        assert client.get("/api/layers", headers=headers).json()["message"] == "账户不存在或已停用"


def test_a_revoked_session_empties_the_cache_and_a_login_or_a_visit_does_not(cache, accounts_db):
    load = CountingLoader(accounts_db)
    cache.get("probe", load)
    with accounts_db.begin() as conn:  # a sign-in elsewhere, then its visits: nothing cached changes
        session_id = conn.execute(text(
            "INSERT INTO sessions (user_id, kind, expires_at) SELECT id, 'token', now() + interval '1 hour' "
            "FROM users WHERE username = 'probe' RETURNING id")).scalar_one()
    with accounts_db.begin() as conn:
        conn.execute(text("UPDATE sessions SET last_seen_at = now() WHERE id = :id"), {"id": session_id})
    time.sleep(0.3)
    cache.get("probe", load)
    assert load.calls == 1
    with accounts_db.begin() as conn:  # a logout served by another process
        conn.execute(text("UPDATE sessions SET revoked_at = now() WHERE id = :id"), {"id": session_id})
    assert eventually(lambda: cache.get("probe", load) is not None and load.calls == 2)
