"""The signed-in users' account rows and sessions, read once and kept until PostgreSQL says they changed.

Every request names its user and session in a token, and both are checked against the database
(disabled? roles? password changed since the token was issued? session logged out?). Reading them
on every request cost a connection checkout and three round trips: about 0.5 ms, a third of a map
tile. This cache keeps what it read per session and forgets all of it whenever a trigger on
``users`` or ``user_roles`` (migration 0009) or a revocation in ``sessions`` (migration 0015) sends
``NOTIFY gis_accounts`` — also for changes made by the command line or another process (a logout
served by another worker) or straight in SQL. A change is seen by the next request after the
notification arrives (milliseconds). Without a live LISTEN connection nothing is cached: every
request reads the tables.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis_server.listener import NotifyListener

CHANNEL = "gis_accounts"
MAX_AGE_SECONDS = 60.0  # an entry is read again after this, even if no notification came
MAX_ENTRIES = 20_000  # one per live session; past this the cache starts afresh rather than grow
LAST_SEEN_STEP = "1 minute"  # a session's last_seen_at is moved on at most this often

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Account:
    disabled: bool
    roles: frozenset[str]
    password_changed_at: float  # epoch seconds: tokens issued before it are refused
    session_revoked: bool = False  # the token's session was logged out (or belongs to someone else)


# One round trip: the account, whether the session was revoked, and (a data-modifying CTE runs
# whether referred to or not) the session's last_seen_at moved on — at most once a minute, and
# never on a revoked row, so it costs no notification (migration 0015 notifies revocations only).
_READ_ACCOUNT = f"""
WITH touched AS (
  UPDATE sessions SET last_seen_at = now()
  WHERE id = CAST(:sid AS uuid) AND revoked_at IS NULL AND last_seen_at < now() - interval '{LAST_SEEN_STEP}')
SELECT u.disabled, array_agg(r.role) FILTER (WHERE r.role IS NOT NULL),
       extract(epoch FROM u.password_changed_at)::float8,
       EXISTS (SELECT 1 FROM sessions s WHERE s.id = CAST(:sid AS uuid)
               AND (s.revoked_at IS NOT NULL OR s.user_id <> u.id))
FROM users u LEFT JOIN user_roles r ON r.user_id = u.id WHERE u.username = :u GROUP BY u.id"""


def read_account(conn: Connection, username: str, session_id: str | None = None) -> Account | None:
    """The account of ``username`` and, when given, the standing of its session ``session_id``.

    A session id without a row is one this server signed but never recorded (a token made by a
    tool or a test): it was not logged out. Rows go a day after their tokens expire.
    """
    row = conn.execute(text(_READ_ACCOUNT), {"u": username, "sid": session_id}).first()
    if row is None:
        return None
    return Account(disabled=row[0], roles=frozenset(row[1] or ()), password_changed_at=row[2],
                   session_revoked=row[3])


def cache_key(username: str, session_id: str) -> str:
    return f"{username}\n{session_id}"


class AccountCache:
    """Accounts by user name and session (:func:`cache_key`); ``libpq_url=None`` (tests on a shared
    transaction) caches nothing.

    An entry is also read again after ``max_age`` seconds, in case notifications are lost on the way
    (e.g. behind a connection pooler in transaction mode, where LISTEN succeeds but hears nothing).
    """

    def __init__(self, libpq_url: str | None, max_age: float = MAX_AGE_SECONDS):
        self._url = libpq_url
        self._max_age = max_age
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, Account | None]] = {}  # user → (read at, account)
        self._generation = 0  # bumped on every invalidation: a read that raced one is not stored
        self._listening = threading.Event()
        self._listener = NotifyListener(libpq_url, CHANNEL, "gis-accounts-listener", on_notify=self.invalidate,
                                        on_listen=self._listen, on_lost=self._lost)

    # --- lookups ---------------------------------------------------------------------------

    def cached(self, key: str) -> tuple[bool, Account | None]:
        """(True, the account) when a fresh entry is cached; (False, None) when it must be read."""
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry[0] > self._max_age or not self._listening.is_set():
            return False, None
        return True, entry[1]

    def get(self, key: str, load: Callable[[], Account | None]) -> Account | None:
        found, account = self.cached(key)
        if found:
            return account
        with self._lock:
            generation = self._generation
        read_at = time.monotonic()
        account = load()
        with self._lock:
            if generation == self._generation and self._listening.is_set():
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
                self._entries[key] = (read_at, account)
        return account

    def invalidate(self) -> None:
        with self._lock:
            self._entries.clear()
            self._generation += 1

    # --- the listener ----------------------------------------------------------------------

    def start(self) -> None:
        self._listener.start()

    def stop(self) -> None:
        self._listener.stop(5)

    def wait_listening(self, timeout: float) -> bool:
        return self._listening.wait(timeout)

    def _listen(self) -> None:
        self.invalidate()  # whatever was read before LISTEN may have changed unseen
        self._listening.set()

    def _lost(self) -> None:  # not caching until the listener is back
        self._listening.clear()
        self.invalidate()
