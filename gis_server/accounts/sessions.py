"""Server-side sessions: each sign-in is a row whose id the token carries; logout revokes the row.

A signed token alone cannot be taken back before it expires; with its session on the server, a
logout (or a password change) ends it at once, on every process: the revocation notifies the
account caches (migration 0015). GB/T 22239-2019, 8.1.4.1 b) asks for "结束会话" among the
login-failure and session measures.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis_server.accounts.security import TokenClaims
from layers.errors import Unauthenticated

KEPT_AFTER_EXPIRY = "1 day"  # expired rows are deleted after this: their tokens are refused for age anyway


@dataclass(frozen=True)
class NewSession:
    session_id: str
    issued_at: int  # epoch seconds by the database's clock, which also dates password changes


def start_session(conn: Connection, username: str, kind: str, address: str | None, ttl_seconds: int) -> NewSession:
    """Record a sign-in of ``username`` (``kind`` 'session' for the web cookie, 'token' for the API)."""
    conn.execute(text(f"DELETE FROM sessions WHERE expires_at < now() - interval '{KEPT_AFTER_EXPIRY}'"))
    row = conn.execute(text(
        "INSERT INTO sessions (user_id, kind, client_address, created_at, expires_at) "
        "SELECT id, :kind, :address, date_trunc('second', now()), "
        "date_trunc('second', now()) + make_interval(secs => :ttl) FROM users WHERE username = :u "
        "RETURNING id::text, extract(epoch FROM created_at)::bigint"),
        {"u": username, "kind": kind, "address": address, "ttl": ttl_seconds}).first()
    if row is None:  # the account was deleted between the password check and now
        raise Unauthenticated("账户不存在或已停用", "user deleted while signing in")
    return NewSession(session_id=row[0], issued_at=row[1])


def revoke_session(conn: Connection, claims: TokenClaims, kind: str, address: str | None) -> bool:
    """Revoke the session of a token; True when it was live until now.

    A token signed here without a recorded session (made by a tool) gets a revoked row, so that it
    too stops working.
    """
    revoked = conn.execute(text(
        "INSERT INTO sessions AS s (id, user_id, kind, client_address, expires_at, revoked_at) "
        "SELECT CAST(:sid AS uuid), id, :kind, :address, to_timestamp(:exp), now() FROM users WHERE username = :u "
        "ON CONFLICT (id) DO UPDATE SET revoked_at = now() WHERE s.revoked_at IS NULL RETURNING 1"),
        {"sid": claims.session_id, "u": claims.username, "kind": kind, "address": address,
         "exp": claims.expires_at}).first()
    return revoked is not None


def revoke_all(conn: Connection, user_id: int) -> int:
    """Log a user out everywhere (after a password change); the number of sessions ended."""
    return conn.execute(text("UPDATE sessions SET revoked_at = now() WHERE user_id = :id AND revoked_at IS NULL"),
                        {"id": user_id}).rowcount
