"""Login throttling per account name and per client address, counted in the database.

An attempt is counted *before* its password is checked, under row locks, in a transaction of its
own that commits at once: twenty simultaneous guesses — in one process or in several — see each
other's counts, so no more passwords are checked than the rule allows (the count is only as good
as it is atomic: a read-then-write lets every concurrent guess read the same old count). A
successful sign-in gives its count back. Nothing is kept in the process (DESIGN: no state that
assumes one process).

The numbers are local parameters, not law: the MLPS 2.0 baseline (GB/T 22239-2019, 8.1.4.1 b)
asks for "登录失败处理功能" — limiting failed logins and locking out — without fixing values. The
defaults are in ``Settings`` (``GIS_LOGIN_*``): 3 free failures per account, then waits of 2, 4,
8 … up to 300 s; 30 per address (one office's NAT carries every colleague's typos); both counts
are forgotten an hour after their last failure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Connection, text

ACCOUNT = "account"
ADDRESS = "address"


@dataclass(frozen=True)
class Rule:
    free_failures: int = 3
    max_delay_seconds: int = 300

    def wait_seconds(self, failures: int) -> int:
        """Seconds to wait after ``failures`` recent failures: 0, then 2, 4, 8 … up to the cap."""
        if failures < self.free_failures:
            return 0
        return min(2 ** (failures - self.free_failures + 1), self.max_delay_seconds)


@dataclass(frozen=True)
class Throttle:
    account: Rule = Rule()
    address: Rule = Rule(free_failures=30)
    forget_after_seconds: int = 3600

    def rule(self, scope: str) -> Rule:
        return self.account if scope == ACCOUNT else self.address


def _keys(username: str, address: str | None) -> list[tuple[str, str]]:
    """The counters an attempt touches, in one fixed order (two attempts lock them alike: no deadlock)."""
    return sorted([(ACCOUNT, username)] + ([(ADDRESS, address)] if address else []))


def _where(keys: list[tuple[str, str]]) -> tuple[str, dict[str, str]]:
    clauses = " OR ".join(f"(scope = :scope{i} AND subject = :subject{i})" for i in range(len(keys)))
    params = {}
    for i, (scope, subject) in enumerate(keys):
        params[f"scope{i}"], params[f"subject{i}"] = scope, subject
    return clauses, params


def claim_attempt(conn: Connection, throttle: Throttle, username: str, address: str | None) -> int:
    """Count one attempt and return 0, or return the seconds still to wait and count nothing.

    Call in a transaction of its own and commit before checking the password.
    """
    keys = _keys(username, address)
    where, params = _where(keys)
    for i in range(len(keys)):
        conn.execute(text(f"INSERT INTO login_throttle (scope, subject) VALUES (:scope{i}, :subject{i}) "
                          "ON CONFLICT DO NOTHING"), params)
    rows = conn.execute(text(
        "SELECT scope, failures, extract(epoch FROM clock_timestamp() - last_failure_at)::float8 FROM login_throttle "
        f"WHERE {where} ORDER BY scope, subject FOR UPDATE"), params).all()
    # the clock at this moment, not the transaction's start: an attempt that waited for the lock
    # must not date itself before the one it waited for
    wait = 0.0
    for scope, failures, since in rows:
        if since is None or since > throttle.forget_after_seconds:
            continue  # nothing recent: a fresh count
        wait = max(wait, throttle.rule(scope).wait_seconds(failures) - since)
    if wait > 0:
        return math.ceil(wait)
    conn.execute(text(
        "UPDATE login_throttle SET last_failure_at = clock_timestamp(), failures = CASE WHEN last_failure_at IS NULL "
        "OR clock_timestamp() - last_failure_at > make_interval(secs => :forget) THEN 1 ELSE failures + 1 END "
        f"WHERE {where}"),
        {**params, "forget": throttle.forget_after_seconds})
    return 0


def give_back(conn: Connection, username: str, address: str | None) -> None:
    """After a successful sign-in: the account starts afresh, the address gets its one attempt back."""
    conn.execute(text("DELETE FROM login_throttle WHERE scope = :scope AND subject = :u"),
                 {"scope": ACCOUNT, "u": username})
    if address:
        conn.execute(text("UPDATE login_throttle SET failures = failures - 1 WHERE scope = :scope AND subject = :a"),
                     {"scope": ADDRESS, "a": address})
        conn.execute(text("DELETE FROM login_throttle WHERE scope = :scope AND subject = :a AND failures <= 0"),
                     {"scope": ADDRESS, "a": address})
