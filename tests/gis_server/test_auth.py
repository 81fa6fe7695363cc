"""Sign-in, tokens, sessions, CSRF and login throttling."""

from __future__ import annotations

import time
import uuid

import jwt
from sqlalchemy import text

from gis_server.accounts.service import set_password
from tests.conftest import PASSWORD
from tests.utils.features import feature, point


def signed(secret, username, issued_at, expires_at):
    """A token as the server signs them, of a session it never recorded."""
    claims = {"sub": username, "iat": issued_at, "exp": expires_at, "sid": str(uuid.uuid4())}
    return jwt.encode(claims, secret, algorithm="HS256")


def token_for(anonymous, username="viewer", password=PASSWORD):
    return anonymous.post("/api/auth/token", data={"username": username, "password": password})


def test_token_endpoint_returns_bearer_token(anonymous, settings):
    response = token_for(anonymous)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.token_ttl_minutes * 60
    me = anonymous.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["username"] == "viewer"
    assert me.json()["roles"] == ["viewer"]


def test_no_credentials_is_401(anonymous):
    response = anonymous.get("/api/layers")
    assert response.status_code == 401
    assert response.json()["message"] == "请先登录"
    assert response.headers["www-authenticate"] == "Bearer"


def test_wrong_password_is_401_and_logged(anonymous, client):
    response = token_for(anonymous, password="wrong password")
    assert response.status_code == 401
    assert response.json()["message"] == "用户名或密码错误"
    entries = client.get("/api/audit", params={"action": "login_failed"}).json()["entries"]
    assert entries[0]["username"] == "viewer"
    assert entries[0]["client_address"] == "testclient"


def test_successful_login_is_logged(anonymous, client):
    token_for(anonymous)
    entries = client.get("/api/audit", params={"action": "login", "user": "viewer"}).json()["entries"]
    assert len(entries) == 1


def test_expired_token_is_401(anonymous, settings):
    now = int(time.time())
    expired = signed(settings.secret_key, "admin", now - 100, now - 10)
    response = anonymous.get("/api/layers", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert "过期" in response.json()["message"]


def test_a_token_used_before_is_refused_once_it_expires(anonymous, settings, monkeypatch):
    # the signature check of a token is remembered; its expiry is checked on every request
    now = int(time.time())
    token = signed(settings.secret_key, "admin", now, now + 60)
    headers = {"Authorization": f"Bearer {token}"}
    assert anonymous.get("/api/layers", headers=headers).status_code == 200
    monkeypatch.setattr(time, "time", lambda: now + 60.0)
    response = anonymous.get("/api/layers", headers=headers)
    assert response.status_code == 401
    assert "过期" in response.json()["message"]


def test_forged_token_is_401(anonymous):
    now = int(time.time())
    forged = signed("x" * 40, "admin", now, now + 60)
    response = anonymous.get("/api/layers", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


def test_a_token_from_before_a_password_change_is_refused(anonymous, conn, settings):
    conn.execute(text("UPDATE users SET password_changed_at = now() - interval '1 day' WHERE username = 'viewer'"))
    issued = int(time.time()) - 60  # signed in a minute ago, then the password was changed
    old = signed(settings.secret_key, "viewer", issued, issued + 3600)
    assert anonymous.get("/api/layers", headers={"Authorization": f"Bearer {old}"}).status_code == 200
    set_password(conn, "viewer", "a brand new passphrase")
    response = anonymous.get("/api/layers", headers={"Authorization": f"Bearer {old}"})
    assert response.status_code == 401
    assert response.json()["message"] == "密码已修改，请重新登录"
    fresh = token_for(anonymous, password="a brand new passphrase").json()["access_token"]
    assert anonymous.get("/api/layers", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


def test_a_server_clock_behind_the_database_does_not_refuse_a_fresh_login(anonymous, conn, monkeypatch):
    set_password(conn, "viewer", "a brand new passphrase")  # dated by the database's clock
    monkeypatch.setattr("gis_server.accounts.security.time.time", lambda: 1_000_000.0)  # an app clock far behind
    fresh = token_for(anonymous, password="a brand new passphrase").json()["access_token"]
    assert jwt.decode(fresh, options={"verify_signature": False})["iat"] > 1_000_000  # not the app's clock
    monkeypatch.undo()
    assert anonymous.get("/api/layers", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


def test_disabled_user_is_refused_even_with_a_valid_token(client, conn):
    token = token_for(client).json()["access_token"]
    conn.execute(text("UPDATE users SET disabled = true WHERE username = 'viewer'"))
    assert client.get("/api/layers", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert token_for(client).status_code == 401


def test_repeated_failures_are_throttled_then_allowed_after_the_wait(anonymous, conn, settings):
    for _ in range(settings.login_free_failures):
        assert token_for(anonymous, password="bad password").status_code == 401
    throttled = token_for(anonymous)  # even the right password must wait now
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) >= 1
    assert "秒后再试" in throttled.json()["message"]
    conn.execute(text("UPDATE login_throttle SET last_failure_at = now() - interval '10 minutes'"))
    assert token_for(anonymous).status_code == 200
    # the account starts afresh; the address keeps its three failures (its sign-in was given back)
    rows = conn.execute(text("SELECT scope, subject, failures FROM login_throttle")).all()
    assert [tuple(row) for row in rows] == [("address", "testclient", 3)]


def test_unknown_user_is_throttled_like_a_known_one(anonymous, settings):
    for _ in range(settings.login_free_failures):
        assert token_for(anonymous, username="nobody").status_code == 401
    assert token_for(anonymous, username="nobody").status_code == 429


def test_session_cookie_is_httponly_and_writes_need_the_csrf_token(anonymous):
    response = anonymous.post("/api/auth/session", data={"username": "funeral_planner", "password": PASSWORD})
    assert response.status_code == 200
    set_cookie = response.headers.get_list("set-cookie")
    session = next(c for c in set_cookie if c.startswith("gis_session="))
    assert "HttpOnly" in session and "SameSite=strict" in session
    csrf = response.json()["csrf_token"]
    assert anonymous.get("/api/layers").status_code == 200  # reads need no CSRF token
    body = feature(point(), grave_count=2)
    refused = anonymous.post("/api/layers/scattered_graves/features", json=body)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["message"]
    wrong = anonymous.post("/api/layers/scattered_graves/features", json=body, headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    accepted = anonymous.post("/api/layers/scattered_graves/features", json=body, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 201
    assert accepted.json()["properties"]["created_by"] == "funeral_planner"


def test_logout_clears_the_session(anonymous):
    anonymous.post("/api/auth/session", data={"username": "viewer", "password": PASSWORD})
    assert anonymous.delete("/api/auth/session").status_code == 204
    anonymous.cookies.clear()
    assert anonymous.get("/api/layers").status_code == 401


def test_audit_log_is_admin_only(client_as):
    assert client_as("viewer").get("/api/audit").status_code == 403
    assert client_as("case_worker").get("/api/audit").status_code == 403
    assert client_as("admin").get("/api/audit").status_code == 200


def test_a_hash_with_the_old_default_parameters_still_signs_in_and_is_upgraded(anonymous, conn):
    from argon2 import PasswordHasher

    old = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash(PASSWORD)  # argon2-cffi's default
    conn.execute(text("UPDATE users SET password_hash = :h WHERE username = 'viewer'"), {"h": old})
    changed_before = conn.execute(text("SELECT password_changed_at FROM users WHERE username = 'viewer'")).scalar()
    session = token_for(anonymous).json()["access_token"]
    stored, changed_after = conn.execute(
        text("SELECT password_hash, password_changed_at FROM users WHERE username = 'viewer'")).one()
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert old.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert changed_after == changed_before  # not a password change: sessions stay valid
    assert anonymous.get("/api/layers", headers={"Authorization": f"Bearer {session}"}).status_code == 200
    assert token_for(anonymous).status_code == 200  # the new hash signs in
    assert token_for(anonymous, password="wrong password").status_code == 401


def test_a_wrong_password_leaves_an_old_hash_alone(anonymous, conn):
    from argon2 import PasswordHasher

    old = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash(PASSWORD)
    conn.execute(text("UPDATE users SET password_hash = :h WHERE username = 'viewer'"), {"h": old})
    assert token_for(anonymous, password="wrong password").status_code == 401
    assert conn.execute(text("SELECT password_hash FROM users WHERE username = 'viewer'")).scalar() == old
