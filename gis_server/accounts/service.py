"""Creating and managing users, signing in with throttling, and loading the acting user."""

from __future__ import annotations

from sqlalchemy import Connection, text

from gis_server.accounts.cache import Account, read_account
from gis_server.accounts.security import dummy_hash, hash_password, needs_rehash, verify_password
from gis_server.accounts.sessions import revoke_all
from gis_server.accounts.throttle import Throttle, claim_attempt, give_back
from gis_server.db import Database
from layers import audit
from layers.errors import Conflict, InvalidInput, NotFound, Throttled, Unauthenticated
from layers.roles import Actor

MIN_PASSWORD_LENGTH = 8
SYSTEM = "system"  # account changes are made from the command line, by whoever runs it on the server


def known_roles(conn: Connection) -> set[str]:
    return set(conn.execute(text("SELECT name FROM roles")).scalars())


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"密码至少 {MIN_PASSWORD_LENGTH} 位", f"password needs {MIN_PASSWORD_LENGTH}+ characters",
                           field="password")


def create_user(conn: Connection, username: str, password: str, roles: list[str]) -> int:
    unknown = set(roles) - known_roles(conn)
    if unknown or not roles:
        names = "、".join(sorted(unknown)) or "（未指定）"
        raise InvalidInput(f"未知角色：{names}", f"unknown roles {sorted(unknown)}", field="role")
    _check_password(password)
    if conn.execute(text("SELECT 1 FROM users WHERE username = :u"), {"u": username}).first():
        raise Conflict(f"用户“{username}”已存在", f"user {username!r} exists")
    user_id = conn.execute(text("INSERT INTO users (username, password_hash) VALUES (:u, :h) RETURNING id"),
                           {"u": username, "h": hash_password(password)}).scalar_one()
    conn.execute(text("INSERT INTO user_roles (user_id, role) SELECT :id, unnest(CAST(:roles AS text[]))"),
                 {"id": user_id, "roles": roles})
    audit.record(conn, None, "user_admin", username=SYSTEM, target=username, change="created", roles=roles)
    return user_id


def _require_user(conn: Connection, username: str) -> int:
    user_id = conn.execute(text("SELECT id FROM users WHERE username = :u"), {"u": username}).scalar()
    if user_id is None:
        raise NotFound(f"没有用户“{username}”", f"no user {username!r}")
    return user_id


def set_password(conn: Connection, username: str, password: str) -> None:
    _check_password(password)
    user_id = _require_user(conn, username)
    conn.execute(text("UPDATE users SET password_hash = :h, password_changed_at = now() WHERE id = :id"),
                 {"h": hash_password(password), "id": user_id})
    ended = revoke_all(conn, user_id)  # tokens older than the change are refused for their date, too
    audit.record(conn, None, "user_admin", username=SYSTEM, target=username, change="password changed",
                 sessions_ended=ended)


def set_disabled(conn: Connection, username: str, disabled: bool) -> None:
    user_id = _require_user(conn, username)
    conn.execute(text("UPDATE users SET disabled = :d WHERE id = :id"), {"d": disabled, "id": user_id})
    audit.record(conn, None, "user_admin", username=SYSTEM, target=username,
                 change="disabled" if disabled else "enabled")


def list_users(conn: Connection) -> list[dict[str, object]]:
    rows = conn.execute(text(
        "SELECT u.username, u.disabled, coalesce(array_agg(r.role ORDER BY r.role) FILTER (WHERE r.role IS NOT NULL), "
        "'{}') AS roles FROM users u LEFT JOIN user_roles r ON r.user_id = u.id GROUP BY u.id ORDER BY u.username"))
    return [row._asdict() for row in rows]


def actor_for(account: Account | None, username: str, address: str | None, issued_at: float | None = None) -> Actor:
    """The acting user; a deleted or disabled user, or a token older than the last password change, is refused."""
    if account is None or account.disabled:
        raise Unauthenticated("账户不存在或已停用", "user unknown or disabled")
    # tokens carry whole seconds: one issued in the second of the change still counts
    if issued_at is not None and issued_at < int(account.password_changed_at):
        raise Unauthenticated("密码已修改，请重新登录", "token issued before the last password change")
    if account.session_revoked:
        raise Unauthenticated("已退出登录，请重新登录", "session revoked")
    return Actor(name=username, roles=account.roles, address=address)


def load_actor(conn: Connection, username: str, address: str | None) -> Actor:
    """The acting user with their current roles, read from the database."""
    return actor_for(read_account(conn, username), username, address)


def authenticate(db: Database, username: str, password: str, address: str | None, throttle: Throttle) -> Actor:
    """Check a password; failures are counted (per account and per address) and audited.

    The attempt is counted and committed first (``throttle.claim_attempt``), the password is
    checked outside any transaction (Argon2 takes tens of milliseconds: no lock is held meanwhile),
    and a success gives the count back. Raises :class:`Throttled` or :class:`Unauthenticated`.
    """
    with db.transaction() as conn:
        wait = claim_attempt(conn, throttle, username, address)
        if wait:
            audit.record(conn, None, "login_failed", username=username, address=address, detail="throttled",
                         wait_seconds=wait)
    if wait:
        raise Throttled(f"登录失败次数过多，请 {wait} 秒后再试", "too many failed logins", retry_after=wait)
    with db.read() as conn:
        row = conn.execute(text("SELECT password_hash, disabled FROM users WHERE username = :u"),
                           {"u": username}).first()
    ok = verify_password(row[0], password) if row else verify_password(dummy_hash(), password)
    # a hash made with older parameters is replaced by one with today's (same password: sessions stay)
    new_hash = hash_password(password) if ok and row is not None and needs_rehash(row[0]) else None
    with db.transaction() as conn:
        if ok and row is not None and not row[1]:
            give_back(conn, username, address)
            if new_hash:  # unless the password was changed meanwhile
                conn.execute(text("UPDATE users SET password_hash = :h WHERE username = :u AND password_hash = :old"),
                             {"h": new_hash, "u": username, "old": row[0]})
            actor = load_actor(conn, username, address)
            audit.record(conn, actor, "login")
            return actor
        audit.record(conn, None, "login_failed", username=username, address=address,
                     detail="disabled" if row and row[1] and ok else "bad credentials")
    raise Unauthenticated("用户名或密码错误", "invalid username or password")
