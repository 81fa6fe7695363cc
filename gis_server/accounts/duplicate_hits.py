"""Uniqueness-check hits per account: audited, and limited across every process of the service.

A duplicate answer (409) tells the caller that a value is registered — for an ID number, whether a
person is an assisted household. Each hit is recorded in the audit log (``duplicate_hit``), and
the audit log is the counter: an account with too many hits in the window gets 429 at every write
that would reach a uniqueness check, whatever its answer would be (a 429 only for duplicates would
be the same oracle). The count lives in the database, so all processes and replicas agree
(DESIGN.md: no in-process state that goes stale).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from gis_server.accounts import audit
from layers.errors import Throttled
from layers.features import Actor
from layers.registry import LayerSpec

# Local parameters (no rule fixes them): honest editing hits a duplicate now and then (a re-sent
# form, an import run twice); ten within an hour is probing. A hard limit that waits out the window.
MAX_HITS = 10
WINDOW_SECONDS = 3600

HIT = "duplicate_hit"
REFUSED = "duplicate_throttled"


def guard(conn: Connection, actor: Actor) -> None:
    """Refuse (429) when ``actor`` has ``MAX_HITS`` hits within the window; the wait is until the
    oldest of the last ``MAX_HITS`` leaves it.
    """
    oldest = conn.execute(text(
        "SELECT ceil(extract(epoch FROM at + make_interval(secs => :window) - now())) FROM audit_log "
        "WHERE username = :user AND action = :action AND at > now() - make_interval(secs => :window) "
        "ORDER BY at DESC OFFSET :skip LIMIT 1"),
        {"user": actor.name, "action": HIT, "window": WINDOW_SECONDS, "skip": MAX_HITS - 1}).scalar()
    if oldest is not None:
        wait = max(int(oldest), 1)
        raise Throttled(f"重复校验命中次数过多（{WINDOW_SECONDS // 60} 分钟内 {MAX_HITS} 次），"
                        f"为保护个人信息，请 {(wait + 59) // 60} 分钟后再提交涉及唯一性校验的修改",
                        "too many duplicate hits", retry_after=wait)


def record(conn: Connection, actor: Actor, spec: LayerSpec, refused: Throttled | None, **detail: Any) -> None:
    """Audit a hit, or a write refused by :func:`guard` (which does not count as a hit)."""
    audit.record(conn, actor, REFUSED if refused else HIT, layer=spec.name, **detail)
