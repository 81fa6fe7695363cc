"""Attacks on sessions: a token signed with a published secret, a token reused after logout or after a
password change, a CSRF token taken from another session (or planted in a cookie)."""

from __future__ import annotations

import stat
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import jwt
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Connection, create_engine, text

from gis_server.accounts.service import create_user, set_password
from gis_server.app import create_app
from gis_server.deps import CSRF_COOKIE, SESSION_COOKIE
from gis_server.secret_file import FILE_NAME, SecretFileError, load_or_create
from gis_server.settings import Settings, get_settings, with_stored_secret
from tests.conftest import PASSWORD
from tests.utils.database import RollbackDatabase, committed_database
from tests.utils.features import feature, point
from tests.utils.sessions import live_app

OLD_CONSTANT = "change-me-this-is-the-development-only-secret"  # noqa: S105 (the secret published before)


def forged(secret: str, username: str) -> str:
    now = int(time.time())
    return jwt.encode({"sub": username, "iat": now, "exp": now + 600, "sid": str(uuid.uuid4())}, secret,
                      algorithm="HS256")


def sign_in(client: TestClient, username: str) -> tuple[str, str]:
    """A web session: (its cookie's token, its CSRF token)."""
    response = client.post("/api/auth/session", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.cookies[SESSION_COOKIE], response.json()["csrf_token"]


# --- the secret --------------------------------------------------------------------------------


def test_a_token_signed_with_the_old_constant_is_refused_by_the_demo(tmp_path, conn, database_url):
    settings = with_stored_secret(Settings(environment="development", data_dir=tmp_path, _env_file=None,
                                           database_url=database_url))
    app = create_app(settings, database=RollbackDatabase(conn))
    with TestClient(app, raise_server_exceptions=False) as client:
        attack = client.get("/api/layers/households/features/1", params={"reveal": "true"},
                            headers={"Authorization": f"Bearer {forged(OLD_CONSTANT, 'admin')}"})
        assert attack.status_code == 401
        assert attack.json()["message"] == "身份凭证无效，请重新登录"
        assert settings.secret_key != OLD_CONSTANT


def test_the_development_secret_is_made_once_with_mode_0600_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv("GIS_SECRET_KEY", raising=False)
    monkeypatch.setenv("GIS_ENVIRONMENT", "development")
    monkeypatch.setenv("GIS_DATA_DIR", str(tmp_path / "gisdata"))
    monkeypatch.chdir(tmp_path)  # no .env file here
    first = get_settings().secret_key
    stored = tmp_path / "gisdata" / FILE_NAME
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stored.read_text().strip() == first and len(first) >= 64
    assert get_settings().secret_key == first  # a later run (the server, the command line) reuses it
    assert with_stored_secret(Settings(environment="development", data_dir=tmp_path / "other",
                                       _env_file=None)).secret_key != first  # another install, another secret
    monkeypatch.setenv("GIS_SECRET_KEY", "k" * 40)  # a configured secret wins; nothing is read
    assert get_settings().secret_key == "k" * 40


def test_processes_starting_together_agree_on_one_secret(tmp_path):
    found: list[str] = []
    start = threading.Barrier(8)

    def run() -> None:
        start.wait()
        found.append(load_or_create(tmp_path))

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 8 and len(set(found)) == 1
    assert [p.name for p in tmp_path.iterdir()] == [FILE_NAME]  # no temporary file left behind


def test_a_secret_file_others_may_read_is_refused(tmp_path):
    load_or_create(tmp_path)
    (tmp_path / FILE_NAME).chmod(0o644)
    with pytest.raises(SecretFileError, match="chmod 600"):
        load_or_create(tmp_path)


def test_tests_get_a_random_secret_and_the_placeholder_or_a_short_one_is_refused():
    assert Settings(environment="test", _env_file=None).secret_key != Settings(environment="test",
                                                                               _env_file=None).secret_key
    with pytest.raises(ValidationError, match="placeholder"):
        Settings(environment="development", secret_key=OLD_CONSTANT, _env_file=None)
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(environment="development", secret_key="short", _env_file=None)
    with pytest.raises(ValidationError, match="must be set"):
        Settings(environment="production", personal_data_key="p" * 32, _env_file=None)


# --- logout --------------------------------------------------------------------------------------


def test_a_web_session_used_after_logout_is_401_as_cookie_and_as_bearer(anonymous, conn):
    token, _ = sign_in(anonymous, "viewer")
    assert anonymous.get("/api/layers").status_code == 200
    assert anonymous.delete("/api/auth/session").status_code == 204
    for replay in ({"cookies": {SESSION_COOKIE: token}}, {"headers": {"Authorization": f"Bearer {token}"}}):
        anonymous.cookies.clear()
        response = anonymous.get("/api/layers", **replay)
        assert response.status_code == 401
        assert response.json()["message"] == "已退出登录，请重新登录"
    row = conn.execute(text("SELECT s.kind, s.revoked_at IS NOT NULL, s.client_address FROM sessions s "
                            "JOIN users u ON u.id = s.user_id WHERE u.username = 'viewer'")).one()
    assert tuple(row) == ("session", True, "testclient")
    logouts = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'logout' AND username = 'viewer'"))
    assert logouts.scalar_one() == 1


def test_an_api_token_used_after_logout_is_401_and_a_second_logout_changes_nothing(anonymous, client):
    token = anonymous.post("/api/auth/token", data={"username": "viewer", "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert anonymous.get("/api/auth/me", headers=headers).status_code == 200
    assert anonymous.delete("/api/auth/token", headers=headers).status_code == 204
    refused = anonymous.get("/api/auth/me", headers=headers)
    assert refused.status_code == 401 and refused.json()["message"] == "已退出登录，请重新登录"
    assert anonymous.delete("/api/auth/token", headers=headers).status_code == 204
    assert len(client.get("/api/audit", params={"action": "logout", "user": "viewer"}).json()["entries"]) == 1


def test_a_token_made_without_a_recorded_session_can_be_logged_out_too(anonymous, settings):
    headers = {"Authorization": f"Bearer {forged(settings.secret_key, 'viewer')}"}
    assert anonymous.get("/api/auth/me", headers=headers).status_code == 200
    assert anonymous.delete("/api/auth/token", headers=headers).status_code == 204
    assert anonymous.get("/api/auth/me", headers=headers).status_code == 401


def test_a_token_without_a_session_id_is_refused(anonymous, settings):
    now = int(time.time())
    bare = jwt.encode({"sub": "admin", "iat": now, "exp": now + 600}, settings.secret_key, algorithm="HS256")
    response = anonymous.get("/api/auth/me", headers={"Authorization": f"Bearer {bare}"})
    assert response.status_code == 401 and response.json()["message"] == "身份凭证无效，请重新登录"


def test_a_password_change_ends_every_session_of_the_user(anonymous, conn: Connection):
    tokens = [anonymous.post("/api/auth/token", data={"username": "viewer", "password": PASSWORD}).json()[
        "access_token"] for _ in range(2)]
    web, _ = sign_in(anonymous, "viewer")
    anonymous.cookies.clear()
    conn.execute(text("UPDATE sessions SET created_at = created_at - interval '1 minute'"))
    set_password(conn, "viewer", "a brand new passphrase")
    for token in [*tokens, web]:
        response = anonymous.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
    revoked = conn.execute(text("SELECT count(*) FILTER (WHERE revoked_at IS NOT NULL), count(*) FROM sessions"))
    assert tuple(revoked.one()) == (3, 3)


def test_last_seen_moves_on_at_most_once_a_minute(anonymous, conn):
    token, _ = sign_in(anonymous, "viewer")
    conn.execute(text("UPDATE sessions SET last_seen_at = now() - interval '50 seconds'"))
    anonymous.get("/api/auth/me")
    assert conn.execute(text("SELECT now() - last_seen_at FROM sessions")).scalar_one().total_seconds() == 50
    conn.execute(text("UPDATE sessions SET last_seen_at = now() - interval '61 seconds'"))
    anonymous.get("/api/auth/me")
    assert conn.execute(text("SELECT now() - last_seen_at FROM sessions")).scalar_one().total_seconds() == 0


@pytest.fixture(scope="module")
def sessions_url(database_url: str) -> Iterator[str]:
    with committed_database(database_url, "gis_sessions") as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            create_user(conn, "viewer", PASSWORD, ["viewer"])
        engine.dispose()
        yield url


def eventually_refused(http: httpx.Client, headers: dict[str, str], seconds: float = 5.0) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        response = http.get("/api/auth/me", headers=headers)
        if response.status_code == 401 or time.monotonic() > deadline:
            return response
        time.sleep(0.02)


def test_a_logout_served_by_another_process_ends_the_session_in_every_cache(sessions_url):
    shared = {"secret_key": "s" * 48}  # two workers of one installation sign with one secret
    with live_app(sessions_url, **shared) as (first, first_app), live_app(sessions_url, **shared) as (second,
                                                                                                   second_app):
        assert first_app.state.accounts.wait_listening(10) and second_app.state.accounts.wait_listening(10)
        token = httpx.post(f"{first}/api/auth/token", data={"username": "viewer", "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        with httpx.Client(base_url=first) as http:
            assert http.get("/api/auth/me", headers=headers).status_code == 200
            assert http.get("/api/auth/me", headers=headers).status_code == 200  # now served from the cache
            assert httpx.delete(f"{second}/api/auth/token", headers=headers).status_code == 204
            response = eventually_refused(http, headers)
        assert response.status_code == 401 and response.json()["message"] == "已退出登录，请重新登录"


def test_the_process_that_logs_out_refuses_the_very_next_request(sessions_url):
    with live_app(sessions_url) as (base, app), httpx.Client(base_url=base) as http:
        assert app.state.accounts.wait_listening(10)
        token = http.post("/api/auth/token", data={"username": "viewer", "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        assert http.get("/api/auth/me", headers=headers).status_code == 200  # cached
        assert http.delete("/api/auth/token", headers=headers).status_code == 204
        assert http.get("/api/auth/me", headers=headers).status_code == 401  # no wait for the notification


# --- CSRF --------------------------------------------------------------------------------------


def count_graves(conn: Connection) -> int:
    return conn.execute(text("SELECT count(*) FROM scattered_graves")).scalar_one()


def test_a_csrf_token_from_another_session_is_refused(anonymous, conn, settings):
    _, theirs = sign_in(anonymous, "funeral_planner")  # the attacker's own session
    _, mine = sign_in(anonymous, "funeral_planner")  # the victim's session, now in the cookie
    assert theirs != mine
    before = count_graves(conn)
    body = feature(point(), grave_count=2)
    anonymous.cookies.set(CSRF_COOKIE, theirs)  # the other session's token in both places: still refused
    refused = anonymous.post("/api/layers/scattered_graves/features", json=body, headers={"X-CSRF-Token": theirs})
    assert refused.status_code == 403 and "CSRF" in refused.json()["message"]
    assert count_graves(conn) == before
    accepted = anonymous.post("/api/layers/scattered_graves/features", json=body, headers={"X-CSRF-Token": mine})
    assert accepted.status_code == 201 and count_graves(conn) == before + 1


def test_a_csrf_value_planted_in_the_cookie_and_the_header_is_refused(anonymous, conn):
    # the old check only compared the cookie with the header: whoever could set the cookie chose both
    sign_in(anonymous, "funeral_planner")
    anonymous.cookies.set(CSRF_COOKIE, "planted")
    before = count_graves(conn)
    refused = anonymous.post("/api/layers/scattered_graves/features", json=feature(point(), grave_count=1),
                             headers={"X-CSRF-Token": "planted"})
    assert refused.status_code == 403 and count_graves(conn) == before


def test_the_csrf_cookie_holds_the_sessions_own_token(anonymous):
    response = anonymous.post("/api/auth/session", data={"username": "viewer", "password": PASSWORD})
    assert response.cookies[CSRF_COOKIE] == response.json()["csrf_token"]
